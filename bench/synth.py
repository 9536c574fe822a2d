"""Synthetic knowledge bases of N papers as PubMed XML (today's efetch format), for benchmarks.

    python bench/synth.py N OUT.xml.gz [--seed S] [--kb bench/kb.yml]

Writes ``OUT.xml.gz`` (a ``PubmedArticleSet`` the real ``generator ingest`` reads) and beside
it, sharing its stem:

- ``OUT.topics.json``: PMID → the 1–3 topics of ``--kb`` each paper is attributed to;
- ``OUT.queries.json``: search queries known to hit (a word from one abstract, a MeSH term, an
  author's name, a Korean word), for ``bench/bench_search.py``;
- ``OUT.kb.yml``: a copy of the kb.yml whose topics were used.

What a record holds, sized like real PubMed records: a title of 8–20 words; a structured
abstract of about 250 words (BACKGROUND / METHODS / RESULTS / CONCLUSIONS) from a fixed
biomedical vocabulary, with gene symbols (some in ``<i>``), Greek letters and ``&#xa0;``;
3–15 authors with affiliations (some ORCIDs, a few collective authors); 10–20 MeSH headings
from a vocabulary of 8,000 descriptor names drawn with a Zipf-like law (Humans, Female, Male …
are very common; about 7,700 distinct descriptors at 10,000 papers, as in real exports), with
qualifiers and major-topic flags; author keywords; 1–3 publication types; grants; DOI and
(for 40%) a PMC id; entrez dates spread over 2023–2025; about 0.5% Korean-language papers (a
Korean vernacular title and a Korean ``OtherAbstract``) and about 0.4% retracted papers
(``CommentsCorrections RefType="RetractionIn"``). The output is a function of N and the seed.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import gzip
import itertools
import json
import random
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_KB = HERE / "kb.yml"

FIRST_PMID = 36_000_000
START = dt.date(2023, 1, 1)
DAYS = (dt.date(2025, 12, 31) - START).days + 1
MESH_VOCABULARY_SIZE = 8_000
MESH_ZIPF_S = 0.9  # over 8,000 names: ~7,700 distinct at 10,000 papers
KOREAN_RATE = 0.005
RETRACTED_RATE = 0.004
VOCAB_SEED = 20260101  # the vocabularies do not depend on --seed; only the papers do

EFETCH_HEAD = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    "<PubmedArticleSet>\n"
)
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

# Inline-markup markers: text is escaped first, then these become tags / char references.
_I_OPEN, _I_CLOSE, _NBSP = "\x01", "\x02", "\u00a0"

# ------------------------------------------------------------------------ vocabularies

# (descriptor, share of papers): PubMed's check tags and the like, drawn on their own.
CHECK_TAGS: tuple[tuple[str, float], ...] = (
    ("Humans", 0.82),
    ("Female", 0.52),
    ("Male", 0.48),
    ("Animals", 0.22),
    ("Middle Aged", 0.28),
    ("Adult", 0.27),
    ("Aged", 0.22),
    ("Mice", 0.15),
    ("Young Adult", 0.08),
    ("Aged, 80 and over", 0.07),
    ("Adolescent", 0.04),
    ("Child", 0.03),
)

# Real descriptors, most frequent first: they take the top ranks of the Zipf law.
COMMON_MESH = """\
Breast Neoplasms|Exosomes|Extracellular Vesicles|Biomarkers, Tumor|Tumor Microenvironment|
Cell Line, Tumor|Prognosis|Retrospective Studies|Mutation|
Gene Expression Regulation, Neoplastic|Cell Proliferation|Neoplasm Metastasis|
Signal Transduction|MicroRNAs|RNA, Long Noncoding|Lung Neoplasms|Colorectal Neoplasms|
Immunotherapy|Immune Checkpoint Inhibitors|B7-H1 Antigen|Programmed Cell Death 1 Receptor|
Circulating Tumor DNA|Liquid Biopsy|Whole Genome Sequencing|Single-Cell Analysis|
Sequence Analysis, RNA|Clonal Evolution|Genetic Heterogeneity|Germ-Line Mutation|
Genetic Predisposition to Disease|BRCA1 Protein|BRCA2 Protein|Receptor, ErbB-2|
Triple Negative Breast Neoplasms|DNA Copy Number Variations|Carcinoma, Non-Small-Cell Lung|
Carcinoma, Hepatocellular|Liver Neoplasms|Pancreatic Neoplasms|Stomach Neoplasms|
Prostatic Neoplasms|Ovarian Neoplasms|Glioblastoma|Melanoma|Leukemia, Myeloid, Acute|
Apoptosis|Cell Movement|Epithelial-Mesenchymal Transition|Drug Resistance, Neoplasm|
Neovascularization, Pathologic|Macrophages|T-Lymphocytes|CD8-Positive T-Lymphocytes|
Cancer-Associated Fibroblasts|Neoplastic Stem Cells|Tumor Suppressor Protein p53|
Proto-Oncogene Proteins p21(ras)|Mice, Nude|Xenograft Model Antitumor Assays|
Disease Models, Animal|Cohort Studies|Survival Analysis|Kaplan-Meier Estimate|
Proportional Hazards Models|Treatment Outcome|Prospective Studies|Case-Control Studies|
Gene Expression Profiling|Transcriptome|Genomics|Computational Biology|
High-Throughput Nucleotide Sequencing|Polymorphism, Single Nucleotide|DNA Methylation|
Epigenesis, Genetic|Proteomics|Mass Spectrometry|Flow Cytometry|Immunohistochemistry|
Cell Communication|Tetraspanin 30|Tetraspanin 29|HSP70 Heat-Shock Proteins|RNA, Messenger|
Neoplasm Staging|Lymphatic Metastasis|Antineoplastic Agents|
Antineoplastic Combined Chemotherapy Protocols|Chemotherapy, Adjuvant|Nanoparticles|
Drug Delivery Systems|Organoids|CRISPR-Cas Systems|Machine Learning|Deep Learning|
Republic of Korea|China|United States|Japan|Risk Factors|Incidence|Follow-Up Studies|
Disease-Free Survival|Neoplasm Recurrence, Local|Phenotype|Genotype|Alleles|
Tumor Escape|Lymphocytes, Tumor-Infiltrating|Killer Cells, Natural|Dendritic Cells|
Cytokines|Inflammation|Hypoxia|Autophagy|Angiogenesis Inducing Agents|
Receptors, Estrogen|Receptors, Progesterone|Mastectomy|Radiotherapy|Neoadjuvant Therapy|
Phylogeny|Evolution, Molecular|Aneuploidy|Chromosomal Instability|DNA Repair|
Microsatellite Instability|Colorectal Neoplasms, Hereditary Nonpolyposis|
Genetic Testing|Genetic Counseling|Heterozygote|Pedigree|ROC Curve|Sensitivity and Specificity|
Cell-Free Nucleic Acids|Neoplastic Cells, Circulating|Early Detection of Cancer|
Ultracentrifugation|Nanoparticle Tracking Analysis|Microscopy, Electron, Transmission|
Blotting, Western|Real-Time Polymerase Chain Reaction|RNA Interference|Gene Knockdown Techniques|
Cell Survival|Cell Cycle|Wnt Signaling Pathway|Phosphatidylinositol 3-Kinases|
Proto-Oncogene Proteins c-akt|TOR Serine-Threonine Kinases|MAP Kinase Signaling System|
NF-kappa B|STAT3 Transcription Factor|Transforming Growth Factor beta|Interleukin-6|
Vascular Endothelial Growth Factor A|ErbB Receptors|Receptor, Fibroblast Growth Factor, Type 1|
Spatial Analysis|Gene Regulatory Networks|Protein Interaction Maps|Datasets as Topic|
Multiomics|Precision Medicine|Clinical Decision-Making|Quality of Life|Surveys and Questionnaires"""

QUALIFIERS = (
    ("Q000235", "genetics"),
    ("Q000378", "metabolism"),
    ("Q000473", "pathology"),
    ("Q000175", "diagnosis"),
    ("Q000628", "therapy"),
    ("Q000188", "drug therapy"),
    ("Q000276", "immunology"),
    ("Q000502", "physiology"),
    ("Q000166", "cytology"),
    ("Q000201", "enzymology"),
    ("Q000401", "mortality"),
    ("Q000453", "epidemiology"),
    ("Q000601", "surgery"),
    ("Q000532", "radiotherapy"),
    ("Q000627", "therapeutic use"),
    ("Q000494", "pharmacology"),
    ("Q000819", "agonists"),
    ("Q000037", "antagonists & inhibitors"),
    ("Q000097", "blood"),
    ("Q000302", "isolation & purification"),
    ("Q000648", "ultrastructure"),
    ("Q000592", "secretion"),
    ("Q000096", "biosynthesis"),
    ("Q000000981", "diagnostic imaging"),
    ("Q000503", "physiopathology"),
    ("Q000382", "microbiology"),
    ("Q000821", "virology"),
    ("Q000737", "chemistry"),
    ("Q000009", "adverse effects"),
    ("Q000226", "etiology"),
)

_MESH_MODIFIERS = """\
Breast|Lung|Liver|Colorectal|Pancreatic|Gastric|Renal|Hepatic|Ovarian|Prostatic|Thyroid|Cerebral|
Cardiac|Vascular|Endothelial|Epithelial|Mesenchymal|Mitochondrial|Nuclear|Cytoplasmic|Membrane|
Viral|Bacterial|Fungal|Immune|Inflammatory|Metabolic|Hereditary|Congenital|Acquired|Chronic|
Acute|Malignant|Benign|Primary|Secondary|Recurrent|Metastatic|Squamous|Glandular|Ductal|Lobular|
Neuroendocrine|Myeloid|Lymphoid|Stromal|Germinal|Somatic|Embryonic|Fetal|Neonatal|Pediatric|
Geriatric|Dermal|Ocular|Auditory|Skeletal|Muscular|Synovial|Biliary|Esophageal|Duodenal|Ileal|
Colonic|Rectal|Anal|Urinary|Bladder|Testicular|Uterine|Cervical|Placental|Adrenal|Pituitary|
Hypothalamic|Pulmonary|Bronchial|Pleural|Peritoneal|Lymphatic|Splenic|Thymic|Marrow|Platelet|
Erythroid|Neuronal|Glial|Astrocytic|Retinal|Cochlear|Oral|Salivary|Nasal|Laryngeal|Tracheal|
Osseous|Cartilaginous|Adipose|Hormonal|Enzymatic|Oxidative|Genomic|Transcriptional|
Translational|Ribosomal|Lysosomal|Peroxisomal|Golgi|Centrosomal|Ciliary|Synaptic|Axonal"""

_MESH_HEADS = """\
Neoplasms|Proteins|Receptors|Cells|Syndrome|Diseases|Carcinoma|Antigens|Genes|Vesicles|Factors|
Agents|Enzymes|Kinases|Phosphatases|Channels|Transporters|Peptides|Hormones|Cytokines|Lipids|
Glycoproteins|Membrane Proteins|Transcription Factors|Stem Cells|Progenitor Cells|Lymphocytes|
Neoplasm Proteins|Adenoma|Sarcoma|Lymphoma|Fibrosis|Hyperplasia|Dysplasia|Inflammation|
Infections|Insufficiency|Abnormalities|Injuries|Calculi|Cysts|Polyps|Ulcer|Hemorrhage|Edema|
Function Tests|Physiological Phenomena|Absorption|Circulation|Regeneration|Development|
Diseases, Inherited|Neoplasms, Hereditary|Biomarkers|RNA|DNA|Microbiome|Stromal Cells|
Cell Lines|Organoids|Transplantation|Surgery|Imaging|Biopsy|Assays|Markers|Signaling|
Pathways|Complexes|Domains|Isoforms|Mutations|Variants|Polymorphisms"""


def _split(block: str) -> list[str]:
    return [w.strip() for w in block.replace("\n", "").split("|") if w.strip()]


@dataclass(frozen=True)
class Vocabulary:
    mesh: tuple[str, ...]  # Zipf-ranked descriptors (check tags excluded)
    mesh_ui: dict[str, str]
    mesh_cum: tuple[float, ...]
    genes: tuple[str, ...]
    journals: tuple[tuple[str, str, str], ...]  # (title, ISO abbreviation, ISSN)
    affiliations: tuple[str, ...]


def build_vocabulary(size: int = MESH_VOCABULARY_SIZE) -> Vocabulary:
    """The fixed vocabularies: MeSH names (Zipf-ranked), gene symbols, journals, affiliations."""
    rng = random.Random(VOCAB_SEED)
    check = {name for name, _ in CHECK_TAGS}
    common = [t for t in _split(COMMON_MESH) if t not in check]
    mods, heads = _split(_MESH_MODIFIERS), _split(_MESH_HEADS)
    synthetic: set[str] = set()
    target = size - len(CHECK_TAGS) - len(common)
    taken = set(common) | check
    while len(synthetic) < target:
        m, h = rng.choice(mods), rng.choice(heads)
        form = rng.random()
        if form < 0.5:
            name = f"{m} {h}"
        elif form < 0.8:
            name = f"{h}, {m}"
        else:
            m2 = rng.choice(mods)
            name = f"{h}, {m} {m2}" if m2 != m else f"{m} {h}"
        if name not in taken:
            synthetic.add(name)
    ranked = common + rng.sample(sorted(synthetic), len(synthetic))
    names = [name for name, _ in CHECK_TAGS] + ranked
    ui = {name: f"D{100_000 + i:06d}" for i, name in enumerate(names)}
    weights = [1 / (k**MESH_ZIPF_S) for k in range(1, len(ranked) + 1)]
    cum = tuple(itertools.accumulate(weights))

    prefixes = _split(
        "ABC|ZNF|SLC|KRT|CD|IL|TNF|KIF|RAB|TMEM|FAM|CCDC|ANKRD|LRRC|WDR|ADAM|MMP|CXCL|CCL|HOX|"
        "SOX|FOX|TP|CDK|CDKN|ATP|GPR|PRKC|MAP|MAPK|PTP|DUSP|USP|TRIM|NOTCH|WNT|SMAD|KLF|EGR|HSP"
    )
    genes = sorted({f"{rng.choice(prefixes)}{rng.randint(1, 999)}" for _ in range(20_000)})
    rng.shuffle(genes)

    fields = _split(
        "Oncology|Cancer Research|Molecular Oncology|Translational Medicine|Clinical Cancer|"
        "Extracellular Vesicles|Genomics|Human Genetics|Cell Biology|Immunology|Pathology|"
        "Biomarkers|Precision Oncology|Breast Cancer|Lung Cancer|Gastroenterology|Hepatology|"
        "Hematology|Urology|Gynecologic Oncology|Neuro-Oncology|Radiation Oncology|"
        "Surgical Oncology|Medical Genetics|Bioinformatics|Nanomedicine|Biochemistry|"
        "Cancer Immunology|Experimental Medicine|Cancer Biology|Cell Communication|Proteomics|"
        "Liquid Biopsy|Tumor Biology|Cancer Genetics|Systems Biology|Precision Medicine|"
        "Clinical Investigation|Molecular Medicine|Korean Medical Science"
    )
    patterns = (
        "Journal of {f}",
        "{f} Research",
        "International Journal of {f}",
        "{f} Reports",
        "Frontiers in {f}",
        "Annals of {f}",
        "{f} Letters",
    )
    abbreviations = {
        "Journal": "J",
        "International": "Int",
        "Research": "Res",
        "Reports": "Rep",
        "Frontiers": "Front",
        "Annals": "Ann",
        "Letters": "Lett",
        "Oncology": "Oncol",
        "Cancer": "Cancer",
        "Molecular": "Mol",
        "Medicine": "Med",
        "Clinical": "Clin",
        "Biology": "Biol",
        "Genetics": "Genet",
        "Immunology": "Immunol",
        "Translational": "Transl",
        "Experimental": "Exp",
        "Extracellular": "Extracell",
        "Vesicles": "Vesicles",
    }
    journals = []
    for i, (f, p) in enumerate(itertools.product(fields, patterns)):
        title = p.format(f=f)
        iso = " ".join(abbreviations.get(w, w) for w in title.split() if w not in ("of", "in"))
        journals.append((title, iso, f"{1000 + i:04d}-{rng.randint(1000, 9999)}"))
    rng.shuffle(journals)

    depts = _split(
        "Department of Oncology|Department of Pathology|Department of Surgery|"
        "Department of Internal Medicine|Department of Biochemistry|Department of Genetics|"
        "Department of Medical Oncology|Department of Radiation Oncology|"
        "Department of Laboratory Medicine|Department of Biomedical Sciences|"
        "Cancer Research Institute|Center for Genomic Medicine|Division of Hematology|"
        "Department of Bioinformatics|Department of Immunology|Department of Cell Biology"
    )
    places = _split(
        "Seoul National University College of Medicine, Seoul, Republic of Korea|"
        "Yonsei University College of Medicine, Seoul, Republic of Korea|"
        "Asan Medical Center, University of Ulsan College of Medicine, Seoul, Republic of Korea|"
        "Samsung Medical Center, Sungkyunkwan University, Seoul, Republic of Korea|"
        "Harvard Medical School, Boston, MA, USA|Memorial Sloan Kettering Cancer Center, "
        "New York, NY, USA|The University of Texas MD Anderson Cancer Center, Houston, TX, USA|"
        "Stanford University School of Medicine, Stanford, CA, USA|"
        "Johns Hopkins University, Baltimore, MD, USA|University of Cambridge, Cambridge, UK|"
        "The Francis Crick Institute, London, UK|University College London, London, UK|"
        "Karolinska Institutet, Stockholm, Sweden|German Cancer Research Center (DKFZ), "
        "Heidelberg, Germany|Institut Curie, Paris, France|Netherlands Cancer Institute, "
        "Amsterdam, The Netherlands|Fudan University, Shanghai, China|"
        "Sun Yat-sen University Cancer Center, Guangzhou, China|Peking University, Beijing, "
        "China|The University of Tokyo, Tokyo, Japan|National Cancer Center, Tokyo, Japan|"
        "University of Toronto, Toronto, ON, Canada|Peter MacCallum Cancer Centre, "
        "Melbourne, Australia|University of Milan, Milan, Italy|"
        "Vall d'Hebron Institute of Oncology, Barcelona, Spain"
    )
    affiliations = tuple(f"{d}, {p}." for d in depts for p in places)
    return Vocabulary(
        mesh=tuple(ranked),
        mesh_ui=ui,
        mesh_cum=cum,
        genes=tuple(genes),
        journals=tuple(journals),
        affiliations=affiliations,
    )


HIGH_IMPACT = (
    ("Nature", "Nature", "0028-0836"),
    ("Cell", "Cell", "0092-8674"),
    ("Nature medicine", "Nat Med", "1078-8956"),
    ("Cancer cell", "Cancer Cell", "1535-6108"),
    ("Journal of extracellular vesicles", "J Extracell Vesicles", "2001-3078"),
)

LAST_NAMES = _split(
    "Smith|Johnson|Williams|Brown|Jones|Garcia|Miller|Davis|Rodriguez|Martinez|Hernandez|Lopez|"
    "Gonzalez|Wilson|Anderson|Thomas|Taylor|Moore|Jackson|Martin|Lee|Perez|Thompson|White|Harris|"
    "Clark|Lewis|Robinson|Walker|Young|Allen|King|Wright|Scott|Torres|Nguyen|Hill|Flores|Green|"
    "Adams|Nelson|Baker|Hall|Rivera|Campbell|Mitchell|Carter|Roberts|Wang|Li|Zhang|Liu|Chen|Yang|"
    "Huang|Zhao|Wu|Zhou|Xu|Sun|Ma|Zhu|Hu|Guo|He|Lin|Gao|Luo|Zheng|Kim|Park|Choi|Jung|Kang|Cho|"
    "Yoon|Jang|Lim|Han|Oh|Seo|Shin|Kwon|Hwang|Ahn|Song|Yoo|Hong|Jeon|Sato|Suzuki|Takahashi|"
    "Tanaka|Watanabe|Ito|Yamamoto|Nakamura|Kobayashi|Kato|Muller|Schmidt|Schneider|Fischer|Weber|"
    "Meyer|Wagner|Becker|Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Dubois|Laurent|Lefebvre|"
    "Moreau|Jansen|de Vries|van den Berg|Bakker|Andersson|Johansson|Karlsson|Nilsson|Kowalski|"
    "Nowak|Ivanov|Petrov|Silva|Santos|Oliveira|Pereira|Costa|Okonkwo|Mensah|Haddad|Khan|Ahmed|"
    "Singh|Kumar|Sharma|Patel|Gupta|Swanton|Jamal-Hanjani|McGranahan|Birkbak|Haugland"
)
FORE_NAMES = _split(
    "James|Mary|John|Patricia|Robert|Jennifer|Michael|Linda|David|Elizabeth|Sarah|Thomas|Karen|"
    "Daniel|Laura|Paul|Emily|Mark|Anna|Peter|Maria|Charles|Julia|Andrew|Sophie|Wei|Jing|Hui|Lei|"
    "Yan|Xiaoming|Min-Jung|Ji-Hoon|Seung-Woo|Hye-Jin|Sung-Min|Eun-Ji|Jae-Hyun|Soo-Yeon|Hiroshi|"
    "Yuki|Kenji|Akiko|Hans|Katrin|Stefan|Giulia|Marco|Camille|Pierre|Lars|Ingrid|Piotr|Olga|"
    "Ana|Joao|Chidi|Amara|Omar|Fatima|Priya|Rahul|Aisha|Nicolai|Eirik|Mariam"
)
COLLECTIVE = (
    "TRACERx Consortium",
    "PCAWG Consortium",
    "Korean Breast Cancer Study Group",
    "International Society for Extracellular Vesicles",
)
GRANT_AGENCIES = (
    ("R01 CA{n}", "CA", "NCI NIH HHS", "United States"),
    ("U01 CA{n}", "CA", "NCI NIH HHS", "United States"),
    ("P30 CA{n}", "CA", "NCI NIH HHS", "United States"),
    ("{n}/Z/20/Z", None, "Wellcome Trust", "United Kingdom"),
    ("C{n}/A2{n}", None, "Cancer Research UK", "United Kingdom"),
    ("NRF-2022R1A2C{n}", None, "National Research Foundation of Korea", "Korea"),
    ("HI22C{n}", None, "Korea Health Industry Development Institute", "Korea"),
    ("8227{n}", None, "National Natural Science Foundation of China", "China"),
    ("{n}", None, "European Research Council", "International"),
)
PUB_TYPES_EXTRA = (
    ("D016454", "Review"),
    ("D052061", "Research Support, N.I.H., Extramural"),
    ("D013485", "Research Support, Non-U.S. Gov't"),
    ("D003160", "Comparative Study"),
    ("D016448", "Multicenter Study"),
    ("D017065", "Practice Guideline"),
    ("D017418", "Meta-Analysis"),
    ("D000078182", "Systematic Review"),
    ("D016430", "Clinical Trial"),
)

# Generic words carry none of the topics' priority keywords: topic strength alone sets scores.
DISEASES = _split(
    "lung adenocarcinoma|colorectal cancer|hepatocellular carcinoma|glioblastoma|"
    "pancreatic ductal adenocarcinoma|melanoma|ovarian cancer|prostate cancer|gastric cancer|"
    "acute myeloid leukemia|non-small cell lung cancer|head and neck squamous cell carcinoma|"
    "bladder cancer|renal cell carcinoma|esophageal squamous cell carcinoma|thyroid cancer|"
    "cholangiocarcinoma|endometrial cancer|multiple myeloma|diffuse large B-cell lymphoma"
)
ENTITIES = _split(
    "microRNAs|long non-coding RNAs|circular RNAs|cancer-associated fibroblasts|"
    "tumor-associated macrophages|myeloid-derived suppressor cells|cancer stem cells|"
    "natural killer cells|dendritic cells|endothelial cells|regulatory T lymphocytes|"
    "small RNAs|membrane proteins|tetraspanins|integrins|metabolites|lipid rafts|"
    "organoids|patient-derived xenografts|stromal cells"
)
PROCESSES = _split(
    "metastasis|angiogenesis|immune evasion|drug resistance|epithelial-mesenchymal transition|"
    "proliferation|apoptosis|autophagy|ferroptosis|metabolic reprogramming|invasion|"
    "premetastatic niche formation|chemoresistance|stemness|lymphangiogenesis|senescence|"
    "DNA damage repair|inflammation|hypoxia signalling|immune suppression"
)
METHODS = _split(
    "whole-exome sequencing|RNA sequencing|mass spectrometry|nanoparticle tracking analysis|"
    "transmission electron microscopy|flow cytometry|immunohistochemistry|Western blotting|"
    "CRISPR-Cas9 screening|quantitative PCR|ultracentrifugation|size-exclusion chromatography|"
    "proteomic profiling|methylation arrays|targeted panel sequencing|digital droplet PCR|"
    "multiplex immunofluorescence|ATAC-seq|ChIP-seq|machine learning"
)
STATS = _split(
    "Cox proportional hazards regression|Kaplan-Meier analysis|logistic regression|"
    "receiver operating characteristic analysis|mixed-effects models|Fisher's exact test|"
    "the Mann-Whitney U test|gene set enrichment analysis|random forest classifiers|"
    "principal component analysis"
)
OUTCOMES = _split(
    "overall survival|progression-free survival|disease-free survival|recurrence|"
    "treatment response|pathological complete response|distant metastasis|tumour burden"
)
SAMPLES = _split(
    "tumour samples|serum samples|tissue specimens|cell lines|patients|mice|organoids|"
    "biopsies|urine samples|cerebrospinal fluid samples"
)
GREEK = ("TGF-β", "IL-1β", "IFN-γ", "TNF-α", "α-SMA", "HIF-1α", "β-catenin", "NF-κB")
STUDY_TAILS = _split(
    "in a prospective cohort|and its association with survival|across multiple cancer types|"
    ": a multicentre study|in patients treated with chemotherapy|: a systematic review|"
    "in two independent cohorts|and implications for targeted therapy|"
    "using patient-derived organoids|in an Asian population|: results of a phase II trial|"
    "with integrated multi-omics analysis"
)
AUTHOR_KEYWORDS = _split(
    "biomarker|prognosis|metastasis|drug resistance|tumour microenvironment|microRNA|"
    "proteomics|machine learning|organoid|angiogenesis|immune evasion|chemoresistance|"
    "non-coding RNA|early detection|precision oncology|signalling pathway|diagnosis|"
    "targeted therapy|epigenetics|DNA methylation"
)

KO_DISEASES = ("유방암", "폐암", "대장암", "위암", "간암", "췌장암", "갑상선암")
KO_ENTITIES = ("엑소좀", "세포외소포", "종양세포", "암줄기세포", "면역세포")
KO_PROCESSES = ("전이", "혈관신생", "약물 내성", "면역 회피", "세포 증식")
KO_METHODS = ("차세대 염기서열 분석", "유전체 분석", "단일세포 전사체 분석", "면역조직화학 염색")
KO_SAMPLES = ("혈액 검체", "조직 검체", "환자")
KO_SENTENCES = (
    "{d} 환자에서 {e}의 단백질 발현을 분석하였다.",
    "{m}을 이용하여 {n}명의 {s}를 조사하였다.",
    "{e} 유래 {g} 단백질은 종양의 {p} 과정을 촉진하였다.",
    "{g} 발현이 높은 환자는 생존율이 유의하게 낮았다.",
    "유전체 변이와 {p} 사이의 연관성을 확인하였다.",
    "이러한 결과는 {d}의 진단 및 예후 예측에 {e} 분석이 유용함을 시사한다.",
)


# ------------------------------------------------------------------------ one paper


@dataclass
class TopicSpec:
    name: str
    keywords: tuple[str, ...]


@dataclass
class Paper:
    pmid: str
    topics: list[str]
    genes: list[str] = field(default_factory=list)
    mentioned: list[str] = field(default_factory=list)  # every gene symbol in the text
    mesh: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)  # last names
    korean: bool = False
    korean_words: list[str] = field(default_factory=list)
    xml: str = ""


def load_topics(kb_path: Path) -> list[TopicSpec]:
    """Topic names and priority keywords from a kb.yml."""
    data = yaml.safe_load(kb_path.read_text(encoding="utf-8"))
    topics = []
    for t in data["topics"]:
        raw = t.get("priority_keywords") or []
        words = tuple(raw) if isinstance(raw, list) else tuple(raw.keys())
        topics.append(TopicSpec(str(t["name"]), tuple(str(w) for w in words)))
    return topics


class PaperMaker:
    """Makes paper after paper from one ``random.Random``; deterministic for a seed."""

    def __init__(self, seed: int, topics: Sequence[TopicSpec], vocab: Vocabulary) -> None:
        self.rng = random.Random(seed)
        self.topics = list(topics)
        self.vocab = vocab
        n = len(self.topics)
        self.topic_weights = [1 / (k + 1) ** 0.6 for k in range(n)]  # the first topics larger
        self.gene_cum = tuple(
            itertools.accumulate(1 / (k**0.8) for k in range(1, len(vocab.genes) + 1))
        )
        self.journal_cum = tuple(
            itertools.accumulate(1 / (k**0.9) for k in range(1, len(vocab.journals) + 1))
        )
        self._mentioned: list[str] = []
        self.topic_mesh = {
            "tumour-derived exosomes": ("Exosomes", "Extracellular Vesicles"),
            "cancer genomics": ("Genomics", "Whole Genome Sequencing", "Mutation"),
            "breast cancer": ("Breast Neoplasms", "Receptor, ErbB-2"),
            "germline": ("Germ-Line Mutation", "Genetic Predisposition to Disease"),
            "liquid biopsy": ("Liquid Biopsy", "Circulating Tumor DNA"),
            "single-cell sequencing": ("Single-Cell Analysis", "Sequence Analysis, RNA"),
            "tumor evolution": ("Clonal Evolution", "Genetic Heterogeneity"),
            "immunotherapy": ("Immunotherapy", "Immune Checkpoint Inhibitors"),
        }

    # --- small draws

    def _pick(self, cum: Sequence[float], items: Sequence[str]) -> str:
        return items[bisect.bisect_left(cum, self.rng.random() * cum[-1])]

    def _gene(self) -> str:
        return self._pick(self.gene_cum, self.vocab.genes)

    def make(self, index: int, pmid: str) -> Paper:
        rng = self.rng
        k = rng.choices((1, 2, 3), weights=(0.55, 0.3, 0.15))[0]
        chosen: list[TopicSpec] = []
        while len(chosen) < k:
            t = rng.choices(self.topics, weights=self.topic_weights)[0]
            if t not in chosen:
                chosen.append(t)
        # Topic strength: how many of its priority keywords the text carries (0–3).
        focus: list[str] = []
        for t in chosen:
            strength = rng.choices((0, 1, 2, 3), weights=(0.3, 0.35, 0.2, 0.15))[0]
            focus += rng.sample(t.keywords, min(strength, len(t.keywords)))
        paper = Paper(pmid=pmid, topics=[t.name for t in chosen])
        paper.korean = rng.random() < KOREAN_RATE
        retracted = rng.random() < RETRACTED_RATE
        entrez = START + dt.timedelta(days=rng.randrange(DAYS))
        paper.genes = [self._gene() for _ in range(rng.randint(1, 3))]
        self._mentioned = list(paper.genes)
        title = self._title(paper.genes, focus)
        sections = self._abstract(paper.genes, focus)
        paper.xml = self._article(paper, title, sections, focus, chosen, entrez, retracted)
        # The symbols the text really shows (a drawn symbol may go unused by the templates).
        text = " ".join([title, *(t for _, t in sections), *paper.korean_words])
        words = set(re.findall(r"[A-Z][A-Z0-9]+", text))
        paper.mentioned = [g for g in dict.fromkeys(self._mentioned) if g in words]
        return paper

    # --- text

    def _fill(self, template: str, genes: Sequence[str], focus: Sequence[str]) -> str:
        rng = self.rng

        def gene() -> str:
            g = rng.choice(genes)
            return f"{_I_OPEN}{g}{_I_CLOSE}" if rng.random() < 0.3 else g

        values = {
            "disease": rng.choice(DISEASES),
            "entity": rng.choice(ENTITIES),
            "process": rng.choice(PROCESSES),
            "process2": rng.choice(PROCESSES),
            "method": rng.choice(METHODS),
            "method2": rng.choice(METHODS),
            "stat": rng.choice(STATS),
            "outcome": rng.choice(OUTCOMES),
            "sample": rng.choice(SAMPLES),
            "gene": gene(),
            "gene2": self._mention(rng.choice(self.vocab.genes)),
            "greek": rng.choice(GREEK),
            "focus": rng.choice(focus) if focus else rng.choice(ENTITIES),
            "n": str(rng.randint(12, 2400)),
            "pct": f"{rng.uniform(5, 95):.1f}",
            "hr": f"{rng.uniform(0.3, 3.5):.2f}",
            "lo": f"{rng.uniform(0.1, 0.9):.2f}",
            "hi": f"{rng.uniform(1.1, 4.8):.2f}",
            "p": rng.choice(("0.001", "0.003", "0.01", "0.02", "0.04")),
            "dir": rng.choice(("upregulated", "downregulated", "enriched", "depleted")),
        }
        return template.format(**values)

    def _mention(self, gene: str) -> str:
        self._mentioned.append(gene)
        return gene

    def _title(self, genes: Sequence[str], focus: Sequence[str]) -> str:
        rng = self.rng
        cores = (
            "{focus} {gene} promotes {process} in {disease}",
            "{gene} expression in {entity} predicts {outcome} in {disease}",
            "Role of {focus} in {process} of {disease}",
            "{method} reveals {gene}-dependent {process} in {disease}",
            "Targeting {gene} overcomes {process} through {greek} signalling in {disease}",
            "Characterisation of {focus} and {entity} by {method}",
        )
        target = rng.randint(8, 20)
        words = self._fill(rng.choice(cores), genes, focus).split()
        tails = list(STUDY_TAILS)
        rng.shuffle(tails)
        for tail in tails:
            if len(words) >= target:
                break
            if len(words) + len(tail.split()) <= 20:
                words += tail.split()
        text = " ".join(words).replace(" :", ":")
        return text[0].upper() + text[1:].rstrip(":,") + "."

    SECTIONS = (
        (
            "BACKGROUND",
            48,
            (
                "{disease} remains a leading cause of cancer death, and {process} limits the "
                "benefit of current therapies.",
                "{focus} have emerged as mediators of {process} between tumour and stromal cells.",
                "However, the contribution of {gene} to {process} remains poorly understood.",
                "Whether {entity} shape {process2} in {disease} is unknown.",
            ),
        ),
        (
            "METHODS",
            58,
            (
                "We performed {method} on {n} {sample} from a retrospective cohort.",
                "{entity} were isolated by {method} and characterised by {method2}.",
                "Associations with {outcome} were assessed using {stat}.",
                "{gene} was silenced with short hairpin RNAs, and {greek} activity was measured.",
                "Findings were validated in an independent cohort of {n} {sample}.",
            ),
        ),
        (
            "RESULTS",
            78,
            (
                "{gene} was {dir} in {focus} from {disease} compared with controls "
                "(p{nbsp}={nbsp}{p}).",
                "High {gene} levels were associated with shorter {outcome} (HR {hr}, 95% CI "
                "{lo}-{hi}).",
                "{method} identified {n} differentially expressed genes, including {gene2}.",
                "Knockdown of {gene} reduced {process} by {pct}% and impaired {process2}.",
                "{greek} signalling was required for the effect of {focus} on {process}.",
                "A classifier combining {gene} and {gene2} reached an area under the curve of "
                "0.{n}.",
            ),
        ),
        (
            "CONCLUSIONS",
            38,
            (
                "These findings suggest that {focus} promote {process} in {disease}.",
                "{gene} may serve as a biomarker of {outcome} and a target for therapy.",
                "Prospective studies are needed to confirm the clinical value of {entity}.",
            ),
        ),
    )

    def _abstract(self, genes: Sequence[str], focus: Sequence[str]) -> list[tuple[str, str]]:
        rng = self.rng
        out = []
        for label, words, templates in self.SECTIONS:
            target = int(words * rng.uniform(0.85, 1.15))
            sentences: list[str] = []
            count = 0
            while count < target:
                s = self._fill(rng.choice(templates).replace("{nbsp}", _NBSP), genes, focus)
                s = s[0].upper() + s[1:]
                sentences.append(s)
                count += len(s.split())
            out.append((label, " ".join(sentences)))
        return out

    def _korean(self, genes: Sequence[str]) -> tuple[str, str]:
        rng = self.rng
        d, p = rng.choice(KO_DISEASES), rng.choice(KO_PROCESSES)
        e = KO_ENTITIES[0] if rng.random() < 0.5 else rng.choice(KO_ENTITIES)  # 엑소좀: half
        title = f"{d} 환자에서 {e} 유래 단백질과 유전체 변이의 {p} 연관성 분석"
        sentences = []
        for template in KO_SENTENCES:
            sentences.append(
                template.format(
                    d=d,
                    e=e,
                    p=p,
                    g=rng.choice(genes),
                    m=rng.choice(KO_METHODS),
                    s=rng.choice(KO_SAMPLES),
                    n=rng.randint(20, 900),
                )
            )
        return title, " ".join(sentences)

    # --- XML

    def _mesh(self, chosen: Sequence[TopicSpec]) -> list[str]:
        rng = self.rng
        n = rng.randint(10, 20)
        names: list[str] = [name for name, share in CHECK_TAGS if rng.random() < share]
        for t in chosen:
            options = self.topic_mesh.get(t.name, ())
            if options:
                names.append(rng.choice(options))
        names = list(dict.fromkeys(names))
        while len(names) < n:
            name = self._pick(self.vocab.mesh_cum, self.vocab.mesh)
            if name not in names:
                names.append(name)
        return sorted(names[:n], key=str.casefold)

    def _article(
        self,
        paper: Paper,
        title: str,
        sections: list[tuple[str, str]],
        focus: Sequence[str],
        chosen: Sequence[TopicSpec],
        entrez: dt.date,
        retracted: bool,
    ) -> str:
        rng = self.rng
        pmid = paper.pmid
        journal = (
            rng.choice(HIGH_IMPACT)
            if rng.random() < 0.03
            else self.vocab.journals[
                bisect.bisect_left(self.journal_cum, rng.random() * self.journal_cum[-1])
            ]
        )
        j_title, j_iso, issn = journal
        pub = entrez + dt.timedelta(days=rng.randint(0, 60))
        epub = entrez - dt.timedelta(days=rng.randint(0, 5))
        revised = entrez + dt.timedelta(days=rng.randint(30, 200))
        volume, issue = rng.randint(1, 80), rng.randint(1, 24)
        if rng.random() < 0.5:
            pages = f"e{rng.randint(1000, 99999)}"
        else:
            first = rng.randint(1, 3000)
            pages = f"{first}-{first + rng.randint(5, 20)}"
        doi = f"10.{rng.randint(1000, 9999)}/{j_iso.lower().replace(' ', '')}.{pub.year}.{pmid}"

        x: list[str] = []
        a = x.append
        a('<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM" ')
        a('IndexingMethod="Automated">')
        a(f'<PMID Version="1">{pmid}</PMID>')
        a(f"<DateCompleted>{_ymd(revised - dt.timedelta(days=10))}</DateCompleted>")
        a(f"<DateRevised>{_ymd(revised)}</DateRevised>")
        a('<Article PubModel="Print-Electronic"><Journal>')
        a(f'<ISSN IssnType="Electronic">{issn}</ISSN><JournalIssue CitedMedium="Internet">')
        a(f"<Volume>{volume}</Volume><Issue>{issue}</Issue><PubDate><Year>{pub.year}</Year>")
        a(f"<Month>{MONTHS[pub.month - 1]}</Month>")
        if rng.random() < 0.6:
            a(f"<Day>{pub.day:02d}</Day>")
        a(f"</PubDate></JournalIssue><Title>{_x(j_title)}</Title>")
        a(f"<ISOAbbreviation>{_x(j_iso)}</ISOAbbreviation></Journal>")
        korean = self._korean(paper.genes) if paper.korean else None
        if korean:
            paper.korean_words = korean[1].split()
        shown_title = f"[{title.rstrip('.')}]." if korean else title
        a(f"<ArticleTitle>{_x(shown_title)}</ArticleTitle>")
        a(f"<Pagination><MedlinePgn>{pages}</MedlinePgn></Pagination>")
        a(f'<ELocationID EIdType="doi" ValidYN="Y">{_x(doi)}</ELocationID><Abstract>')
        for label, text in sections:
            a(f'<AbstractText Label="{label}" NlmCategory="{label}">{_x(text)}</AbstractText>')
        if rng.random() < 0.3:
            a(f"<CopyrightInformation>© {pub.year} The Authors.</CopyrightInformation>")
        a('</Abstract><AuthorList CompleteYN="Y">')
        a(self._authors(paper))
        a("</AuthorList>")
        a(f"<Language>{'kor' if korean else 'eng'}</Language>")
        a(self._grants())
        a('<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>')
        for ui, name in rng.sample(PUB_TYPES_EXTRA, rng.choices((0, 1, 2), (0.4, 0.4, 0.2))[0]):
            a(f'<PublicationType UI="{ui}">{_x(name)}</PublicationType>')
        if retracted:
            a('<PublicationType UI="D016441">Retracted Publication</PublicationType>')
        a("</PublicationTypeList>")
        if korean:
            a(f"<VernacularTitle>{_x(korean[0])}</VernacularTitle>")
        a(f'<ArticleDate DateType="Electronic">{_ymd(epub)}</ArticleDate></Article>')
        a(f"<MedlineJournalInfo><Country>United States</Country><MedlineTA>{_x(j_iso)}")
        a(f"</MedlineTA><NlmUniqueID>{100_000_000 + hash_id(j_title)}</NlmUniqueID>")
        a(f"<ISSNLinking>{issn}</ISSNLinking></MedlineJournalInfo>")
        a("<CitationSubset>IM</CitationSubset>")
        if retracted:
            notice = int(pmid) + 3_000_000
            when = entrez + dt.timedelta(days=rng.randint(100, 500))
            a('<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn">')
            a(f"<RefSource>{_x(j_iso)}. {when.year} {MONTHS[when.month - 1]};{volume + 1}:")
            a(f"e{rng.randint(100, 999)}. doi: 10.1000/retraction.{notice}.</RefSource>")
            a(f'<PMID Version="1">{notice}</PMID></CommentsCorrections>')
            a("</CommentsCorrectionsList>")
        paper.mesh = self._mesh(chosen)
        a(self._mesh_xml(paper.mesh))
        if korean:
            a('<OtherAbstract Type="Publisher" Language="kor">')
            a(f"<AbstractText>{_x(korean[1])}</AbstractText></OtherAbstract>")
        if rng.random() < 0.85:
            words = list(dict.fromkeys([*focus, *rng.sample(AUTHOR_KEYWORDS, rng.randint(2, 6))]))
            a('<KeywordList Owner="NOTNLM">')
            a("".join(f'<Keyword MajorTopicYN="N">{_x(w)}</Keyword>' for w in words))
            a("</KeywordList>")
        a("</MedlineCitation><PubmedData><History>")
        for status, day in (
            ("received", entrez - dt.timedelta(days=rng.randint(60, 200))),
            ("accepted", entrez - dt.timedelta(days=rng.randint(6, 30))),
            ("pubmed", entrez),
            ("medline", revised - dt.timedelta(days=10)),
            ("entrez", entrez),
        ):
            a(f'<PubMedPubDate PubStatus="{status}">{_ymd(day)}</PubMedPubDate>')
        a("</History><PublicationStatus>ppublish</PublicationStatus><ArticleIdList>")
        a(f'<ArticleId IdType="pubmed">{pmid}</ArticleId>')
        a(f'<ArticleId IdType="doi">{_x(doi)}</ArticleId>')
        if rng.random() < 0.4:
            a(f'<ArticleId IdType="pmc">PMC{9_000_000 + int(pmid) % 3_000_000}</ArticleId>')
        a("</ArticleIdList>")
        if rng.random() < 0.5:  # cited works' ids: must not be taken for the record's own
            a("<ReferenceList>")
            for _ in range(rng.randint(1, 4)):
                cited = rng.randint(20_000_000, 35_000_000)
                a(f"<Reference><Citation>{_x(rng.choice(LAST_NAMES))} A, et al. Cited work. ")
                a("J Cited. 2019;1:1-2.</Citation><ArticleIdList>")
                a(f'<ArticleId IdType="pubmed">{cited}</ArticleId>')
                a(f'<ArticleId IdType="doi">10.9999/cited.{cited}</ArticleId>')
                a("</ArticleIdList></Reference>")
            a("</ReferenceList>")
        a("</PubmedData></PubmedArticle>\n")
        return "".join(x)

    def _authors(self, paper: Paper) -> str:
        rng = self.rng
        n = rng.randint(3, 15)
        institutions = rng.sample(self.vocab.affiliations, rng.randint(1, 4))
        if paper.korean:
            institutions = [a for a in self.vocab.affiliations if "Korea" in a][:2] + institutions
            institutions = institutions[:4]
        out = []
        korean_names = LAST_NAMES[LAST_NAMES.index("Kim") : LAST_NAMES.index("Jeon") + 1]
        for i in range(n):
            last = rng.choice(korean_names if paper.korean else LAST_NAMES)
            fore = rng.choice(FORE_NAMES)
            initials = "".join(p[0] for p in re.split(r"[\s-]+", fore) if p)
            paper.authors.append(last)
            affs = rng.sample(institutions, 1 if rng.random() < 0.8 else min(2, len(institutions)))
            orcid = ""
            if rng.random() < 0.2:
                digits = "".join(str(rng.randint(0, 9)) for _ in range(12))
                orcid = (
                    f'<Identifier Source="ORCID">0000-000{digits[0]}-{digits[1:5]}-'
                    f"{digits[5:9]}-{digits[9:12]}X</Identifier>"
                    if i % 7 == 0
                    else f'<Identifier Source="ORCID">https://orcid.org/0000-000{digits[0]}-'
                    f"{digits[1:5]}-{digits[5:9]}-{digits[9:12]}{rng.randint(0, 9)}</Identifier>"
                )
            out.append(
                f'<Author ValidYN="Y"><LastName>{_x(last)}</LastName>'
                f"<ForeName>{_x(fore)}</ForeName><Initials>{initials}</Initials>{orcid}"
                + "".join(
                    f"<AffiliationInfo><Affiliation>{_x(aff)}</Affiliation></AffiliationInfo>"
                    for aff in affs
                )
                + "</Author>"
            )
        if rng.random() < 0.03:
            out.append(
                f'<Author ValidYN="Y"><CollectiveName>{_x(rng.choice(COLLECTIVE))}'
                "</CollectiveName></Author>"
            )
        return "".join(out)

    def _grants(self) -> str:
        rng = self.rng
        if rng.random() >= 0.6:
            return ""
        out = ['<GrantList CompleteYN="Y">']
        for pattern, acronym, agency, country in rng.sample(GRANT_AGENCIES, rng.randint(1, 4)):
            gid = pattern.format(n=rng.randint(10_000, 999_999))
            out.append(
                f"<Grant><GrantID>{_x(gid)}</GrantID>"
                + (f"<Acronym>{acronym}</Acronym>" if acronym else "")
                + f"<Agency>{_x(agency)}</Agency><Country>{_x(country)}</Country></Grant>"
            )
        out.append("</GrantList>")
        return "".join(out)

    def _mesh_xml(self, names: Sequence[str]) -> str:
        rng = self.rng
        check = {name for name, _ in CHECK_TAGS}
        candidates = [n for n in names if n not in check]
        majors = set(rng.sample(candidates, min(len(candidates), rng.randint(2, 4))))
        out = ["<MeshHeadingList>"]
        for name in names:
            ui = self.vocab.mesh_ui[name]
            quals = [] if name in check or rng.random() < 0.55 else rng.sample(QUALIFIERS, 2)
            quals = quals[: rng.randint(1, 2)] if quals else []
            major_on_qualifier = bool(quals) and name in majors and rng.random() < 0.6
            d_major = "Y" if name in majors and not major_on_qualifier else "N"
            out.append(
                f'<MeshHeading><DescriptorName UI="{ui}" MajorTopicYN="{d_major}">'
                f"{_x(name)}</DescriptorName>"
            )
            for i, (q_ui, q_name) in enumerate(quals):
                q_major = "Y" if major_on_qualifier and i == 0 else "N"
                out.append(
                    f'<QualifierName UI="{q_ui}" MajorTopicYN="{q_major}">{_x(q_name)}'
                    "</QualifierName>"
                )
            out.append("</MeshHeading>")
        out.append("</MeshHeadingList>")
        return "".join(out)


def hash_id(text: str) -> int:
    """A small stable number for a string (``hash()`` is salted per process)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(text)) % 9_000_000


def _ymd(d: dt.date) -> str:
    return f"<Year>{d.year}</Year><Month>{d.month:02d}</Month><Day>{d.day:02d}</Day>"


def _x(text: str) -> str:
    """Escape for XML, then turn the markers into inline markup and character references."""
    return escape(text).replace(_I_OPEN, "<i>").replace(_I_CLOSE, "</i>").replace(_NBSP, "&#xa0;")


# ------------------------------------------------------------------------ the whole set


def iter_papers(
    n: int, seed: int = 0, topics: Sequence[TopicSpec] | None = None
) -> Iterator[Paper]:
    """``n`` synthetic papers with increasing PMIDs (deterministic for ``seed``)."""
    topics = topics or load_topics(DEFAULT_KB)
    maker = PaperMaker(seed, topics, build_vocabulary())
    gaps = random.Random(seed + 1)
    pmid = FIRST_PMID
    for i in range(n):
        pmid += gaps.randint(1, 40)
        yield maker.make(i, str(pmid))


def stem_of(out: Path) -> Path:
    """``x/kb.xml.gz`` → ``x/kb`` (sidecar files share it)."""
    name = out.name
    for suffix in (".xml.gz", ".xml", ".gz"):
        if name.endswith(suffix):
            return out.with_name(name[: -len(suffix)])
    return out


@dataclass
class SynthReport:
    papers: int
    xml_bytes: int
    distinct_mesh: int
    korean: int
    retracted: int
    queries: dict[str, str]
    files: dict[str, str]


def write_kb(
    n: int, out: Path, seed: int = 0, kb: Path = DEFAULT_KB, start: int = 0
) -> SynthReport:
    """Write the XML and its sidecars; return what was written. With ``start``, only papers
    ``start`` … ``n - 1`` are written: the ones a knowledge base of ``start`` papers made with
    the same seed does not have yet (papers are made in order from one random stream)."""
    topics = load_topics(kb)
    stem = stem_of(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    topics_by_pmid: dict[str, list[str]] = {}
    mesh_count: Counter[str] = Counter()
    gene_count: Counter[str] = Counter()
    gene_first: dict[str, str] = {}
    korean = retracted = 0
    korean_words: Counter[str] = Counter()
    mid_author = ""
    opener = gzip.open if out.name.endswith(".gz") else open
    raw = 0
    with opener(out, "wt", encoding="utf-8", newline="\n") as f:  # type: ignore[operator]
        f.write(EFETCH_HEAD)
        for i, p in enumerate(iter_papers(n, seed, topics)):
            if i < start:
                continue
            f.write(p.xml)
            raw += len(p.xml.encode("utf-8"))
            topics_by_pmid[p.pmid] = p.topics
            mesh_count.update(p.mesh)
            for g in dict.fromkeys(p.mentioned):
                gene_count[g] += 1
                gene_first.setdefault(g, p.pmid)
            korean += p.korean
            korean_words.update(p.korean_words)
            retracted += "RetractionIn" in p.xml
            if i == n // 2:
                mid_author = p.authors[-1]
        f.write("</PubmedArticleSet>\n")
    rare = [g for g, c in gene_count.items() if c == 1] or list(gene_count)
    word = min(rare, key=lambda g: (int(gene_first[g]), g)) if rare else "exosome"
    # A real descriptor found in about 1% of the papers (a MeSH page of a realistic size).
    check = {name for name, _ in CHECK_TAGS}
    real = [t for t in _split(COMMON_MESH) if t in mesh_count and t not in check]
    mesh = min(real, key=lambda t: abs(mesh_count[t] - n / 100)) if real else "Humans"
    queries = {
        "abstract word": word,
        "MeSH term": mesh,
        "author": mid_author or "Kim",
        # 엑소좀 (exosome) if a Korean abstract has it as a word of its own, else another.
        "Korean word": "엑소좀"
        if "엑소좀" in korean_words or not korean_words
        else next(w for w in KO_DISEASES if w in korean_words),
    }
    files = {
        "xml": str(out),
        "topics": str(stem.with_name(stem.name + ".topics.json")),
        "queries": str(stem.with_name(stem.name + ".queries.json")),
        "kb": str(stem.with_name(stem.name + ".kb.yml")),
    }
    Path(files["topics"]).write_text(
        json.dumps(topics_by_pmid, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
    )
    Path(files["queries"]).write_text(
        json.dumps(queries, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    shutil.copyfile(kb, files["kb"])
    return SynthReport(n - start, raw, len(mesh_count), korean, retracted, queries, files)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a synthetic knowledge base of N papers as PubMed XML.",
        epilog="example: python bench/synth.py 1000 /tmp/kb-1000.xml.gz --seed 1",
    )
    parser.add_argument("n", type=int, help="number of papers")
    parser.add_argument("out", type=Path, help="output file (.xml or .xml.gz)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB, help="kb.yml whose topics to use")
    parser.add_argument(
        "--start",
        type=int,
        default=0,
        help="write only papers START..N-1: what a KB of START papers (same seed) lacks",
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    r = write_kb(args.n, args.out, args.seed, args.kb, args.start)
    print(
        f"synth: {r.papers} papers, {r.xml_bytes / 1e6:.1f} MB of XML "
        f"({args.out.stat().st_size / 1e6:.1f} MB on disk), {r.distinct_mesh} distinct MeSH "
        f"descriptors, {r.korean} Korean, {r.retracted} retracted, "
        f"{time.perf_counter() - t0:.1f} s → {args.out}"
    )
    print("queries: " + json.dumps(r.queries, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The text of Paper Surfer's notes: bytes decoded, mojibake undone, joined lists split.

**Encoding repair.** Bytes that are not UTF-8 are read as cp1252 (else latin-1). Then
mojibake, UTF-8 that passed through a legacy 8-bit encoding, is undone line by line:
first with ``ftfy.fix_encoding`` (cp1252, latin-1 and whole-line Mac Roman), then, for
what ftfy leaves (it does not undo Mac Roman inside a line that also holds real
non-ASCII text, nor the seed note's ``\\uf8ffüìù`` for ``📝``, whose Apple-logo
character it distrusts), each run of non-ASCII characters is re-encoded as Mac Roman and
decoded as UTF-8, kept only when that succeeds strictly and yields printable text.

**Lists joined with ", ".** The tool joined MeSH descriptors, publication types,
authors, keywords and grant ids with ", ", but many MeSH descriptors and some publication
types hold ", " themselves ("Cell Line, Tumor", "Research Support, N.I.H., Extramural").
:func:`split_joined` splits on ", " and joins a part back onto the term before it when

1. the two make a known descriptor (a short list, for tails that are also descriptors on
   their own: "Sequence Analysis, RNA", "Administration, Inhalation"), or
2. the part is a known *tail*, a qualifier-like word that is never a descriptor by itself
   ("Tumor", "Neoplasm", "Neoplastic", "Genetic", "Messenger", "Transfer", "Inbred
   C57BL", "Nude", "80 and over", "Single Nucleotide", "Missense", "Human", "Pair 17",
   "20th Century", …), or
3. the part is one lowercase token ("Gene Products, env", "Genes, p53").

A part that merely *starts* lowercase is not joined: "rab GTP-Binding Proteins" is a
descriptor of its own. This is a heuristic and can still be wrong: a descriptor whose
tail is itself a descriptor ("Breast Neoplasms, Male" versus "Breast Neoplasms" then
"Male") stays split, and an inverted descriptor with a tail not in the list stays split.
Authors ("Fore Last") and keywords are split on every ", ".
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import ftfy

# --------------------------------------------------------------------------- encoding


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """The text of a note's bytes and what had to be repaired (empty when nothing)."""
    repairs: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text, codec = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                text, codec = data.decode("latin-1"), "latin-1"
            repairs.append(f"not UTF-8: read as {codec}")
    fixed, codecs_undone = repair_mojibake(text)
    if codecs_undone:
        repairs.append("mojibake undone (UTF-8 read as " + ", ".join(codecs_undone) + ")")
    return fixed, repairs


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_FTFY_NAMES = {"sloppy-windows-1252": "cp1252", "macroman": "Mac Roman"}


def repair_mojibake(text: str) -> tuple[str, list[str]]:
    """``text`` with mojibake undone, and the encodings it had passed through."""
    seen: list[str] = []
    out = []
    for line in text.split("\n"):
        fixed, explanation = ftfy.fix_encoding_and_explain(line)
        for step, name in explanation or ():
            if step == "encode":
                _note(seen, _FTFY_NAMES.get(name, name))
        fixed2 = _NON_ASCII_RUN.sub(_undo_mac_roman, fixed)
        if fixed2 != fixed:
            _note(seen, "Mac Roman")
        out.append(fixed2)
    return "\n".join(out), seen


def _note(seen: list[str], name: str) -> None:
    if name not in seen:
        seen.append(name)


def _undo_mac_roman(m: re.Match[str]) -> str:
    run = m.group(0)
    if len(run) < 2:
        return run
    try:
        decoded = run.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return run
    if any(unicodedata.category(c)[0] == "C" for c in decoded):
        return run  # controls, private use or unassigned: not plausible text
    return decoded


# --------------------------------------------------------------------------- ", " lists


def _entries(text: str) -> frozenset[str]:
    return frozenset(e.strip() for e in text.replace("\n", "|").split("|") if e.strip())


# Tails that are never a MeSH descriptor (or publication type) on their own.
TAILS = _entries(
    """
    Tumor | Neoplasm | Neoplastic | Genetic | Messenger | Transfer | Ribosomal | 16S | 18S |
    Small Interfering | Long Noncoding | Untranslated | Circular | Antisense | Catalytic |
    Complementary | Single-Stranded | Double-Stranded | Guide | Small Nuclear | Small Nucleolar |
    Heterogeneous Nuclear | Viral | Bacterial | Fungal | Protozoan | Helminth | Plant | Archaeal |
    Insect | Mitochondrial | Chloroplast | Cultured | Transformed | Inbred C57BL | Inbred BALB C |
    Inbred C3H | Inbred DBA | Inbred CBA | Inbred NOD | Inbred ICR | Inbred A | Inbred AKR |
    Inbred Strains | Inbred F344 | Inbred Lew | Inbred SHR | Inbred WKY | Inbred BN | 129 Strain |
    Sprague-Dawley | Wistar | Long-Evans | Nude | SCID | Knockout | Transgenic | Mutant Strains |
    Congenic | Obese | Miniature | 80 and over | Newborn | Preschool | Local | Molecular |
    Biological | Animal | Theoretical | Statistical | Anatomic | Chemical | Radioactive |
    Immunologic | Monoclonal | Humanized | Murine-Derived | Neutralizing | Bispecific |
    Anti-Idiotypic | Antinuclear | Antiphospholipid | Heterophile | Blocking | Phospho-Specific |
    Phytogenic | Alkylating | Hormonal | Immunological | Pharmaceutic | Non-Steroidal |
    Cytotoxic | Regulatory | Helper-Inducer | Tumor-Infiltrating | Hepatocellular |
    Non-Small-Cell Lung | Small Cell | Large Cell | Squamous Cell | Basal Cell | Clear Cell |
    Signet Ring Cell | Merkel Cell | Islet Cell | Acinar Cell | Renal Cell | Transitional Cell |
    Liver Cell | Plasma Cell | Hairy Cell | Pancreatic Ductal | Ductal | Intraductal |
    Noninfiltrating | Lobular | Adenoid Cystic | Adenosquamous | Papillary | Follicular |
    Medullary | Mucinous | Cystic | and Serous | Neuroendocrine | Embryonal |
    Germ Cell and Embryonal |
    Large B-Cell | Large-Cell | Anaplastic | Diffuse | Mantle-Cell | Marginal Zone | T-Cell |
    B-Cell | Adult T-Cell | Non-Hodgkin | Extranodal NK-T-Cell | Myeloid | Myelogenous |
    Lymphoid | Lymphocytic | Promyelocytic | Prolymphocytic | Myelomonocytic | Acute | Chronic |
    Chronic-Phase | BCR-ABL Positive | Ewing | Kaposi | Synovial | Alveolar | Residual |
    Experimental | Second Primary | Multiple Primary | Unknown Primary | Radiation-Induced |
    Hormone-Dependent | Glandular and Epithelial | Connective and Soft Tissue | Malignant |
    Cutaneous Malignant | Castration-Resistant | Hereditary Nonpolyposis | Post-Translational |
    Post-Transcriptional | Computer-Assisted | Image-Guided | Intensity-Modulated | Conformal |
    Adjuvant | High-Energy | X-Ray Computed | Emission-Computed | Single-Photon | X-Ray |
    Spiral Computed | Optical Coherence | Interventional | Cine | Doppler | Color | Mammary |
    Prenatal | Thoracic | Abdominal | Dental | Colorectal | Operative | Minimally Invasive |
    G-Protein-Coupled | CD | Cell Surface | Antigen | Chimeric Antigen | alpha-beta | gamma-delta |
    Estrogen | Progesterone | Androgen | Glucocorticoid | Cytoplasmic and Nuclear | Chemokine |
    Interleukin | Cytokine | Growth Factor | Notch | Virus | Fc | IgG | IgE | Cholinergic |
    Adrenergic | Thyroid Hormone | Vascular Endothelial Growth Factor | Fibroblast Growth Factor |
    IGF Type 1 | Type 1 | Type 2 | Type 3 | erbB-1 | erbB-2 | ErbB-2 | Human | Mammalian |
    Artificial | X | Y | Nonsense | Missense | Terminator | Mouse | Oral | Intravenous |
    Cutaneous | Topical | Intranasal | Sublingual | Rectal | Intravaginal | Buccal | Ophthalmic |
    Subcutaneous | Intraperitoneal | Intramuscular | Intralesional | Intravitreal | Intradermal |
    Intra-Articular | Spinal | Epidural | Intraventricular | Parenteral | Single Nucleotide |
    Single-Stranded Conformational | Restriction Fragment Length | Pharmacological | Protein |
    Three-Dimensional | Electron | Scanning | Transmission | Fluorescence | Confocal |
    Atomic Force | Polarization | Phase-Contrast | Multiphoton | Left | Right | Health Care |
    Ancient | Medieval | Modern 1601- | Early Modern 1451-1600 | Cellular | Chlorinated |
    Cardiogenic | Biomedical | Alcoholic | Acute Necrotizing | Social | Slow-Wave | REM |
    Scientific | Relapsing-Remitting | Chronic Progressive | Primary Progressive |
    Psychological | Processed | Physicians' | Differential | Healthy | Epidemiologic |
    Environmental | Dilated | Hypertrophic | Congenital | Indoor | Hospital | University |
    Vocational | Taxonomic | Comparative | Combination | Swan-Ganz | Endoscopic Retrograde |
    Formal | Nuclear | Multiple | Disability | Organizational | Educational |
    Economic | Cardiovascular | Neurological | Pediatric | Neonatal | Preclinical | Antitumor |
    Microbial | Enzymologic | Developmental | Horizontal | Fusion | Tumor Suppressor | Reporter |
    Essential | Lethal | Dominant | Recessive | Regulator | Homeobox | Synthetic | Overlapping |
    Duplicate | MHC Class I | MHC Class II | BRCA1 | BRCA2 | Secondary | Tertiary | Quaternary |
    Mass | Electrospray Ionization | Matrix-Assisted Laser Desorption-Ionization | Liquid |
    High Pressure Liquid | Gas | Affinity | Gel | Ion Exchange | Thin Layer | Reverse-Phase |
    Raman | Fourier Transform Infrared | Near-Infrared | Western | Northern | Southern |
    Polyacrylamide Gel | Indirect | Direct | Adoptive | Active | Natural | Lymphokine-Activated |
    Peritoneal | Mononuclear | Circulating | Needle | Fine-Needle | Large-Core Needle |
    Segmental | Radical | Modified Radical | Simple | Homologous | Autologous | Heterologous |
    Surface | Differentiation | Factual | Nucleic Acid | Bibliographic | Pharmaceutical |
    Regional Perfusion | General | Drug | Skeletal | Vascular | Innate | Adaptive | Ulcerative |
    Intraocular | Ocular | Biomolecular | Auditory | Somatosensory | Visual | Motor | Capillary |
    Antineoplastic | Non-Narcotic | Opioid | Hippocampal | Pneumococcal | Genetically Modified |
    Vesicular Transport | Firefly | Pathological | L-Type | T-Type | Home Care | Ectopic | Bovine |
    Ebola | Competitive | Ophthalmological | Chinese Traditional | 1-Ring | 2-Ring |
    Post-Traumatic |
    Ankylosing | Bronchiolo-Alveolar | Crystalline | Angle Class I | Angle Class II |
    Angle Class III | alpha Subunit | beta Subunit | Gs | Gi-Go | Gq-G11 | Epidermal Growth Factor |
    Nerve Growth Factor | Lysophosphatidic Acid | Humoral | Maternally-Acquired | Mucosal |
    Dietary | Urinary | Pulmonary | Renal | Hepatic | Cerebral | Coronary | Cardiac | Gastric |
    Intestinal | Neurologic | Unstable | Stable | Familial | Hereditary |
    N.I.H. | Extramural | Intramural | Non-U.S. Gov't | U.S. Gov't | Non-P.H.S. | P.H.S. |
    American Recovery and Reinvestment Act | Veterinary | NIH
    """
)
_TAIL_PATTERNS = re.compile(
    r"^(?:[a-z][a-z0-9-]*"  # one lowercase token: env, gag, p53, bcr-abl
    r"|Pair \d+|\d+(?:st|nd|rd|th) Century|Phase [IV]+(?: as Topic)?"
    r"|CD\d+[A-Za-z]?|(?:CC|CXC|CX3C|XC)R\d+|Class \d+|Group [A-Z]|Member \d+)$"
)
# Inverted names whose tail is also a descriptor of its own: joined only as a pair.
KNOWN_JOINED = _entries(
    """
    Sequence Analysis, RNA | Sequence Analysis, DNA | Vaccines, DNA | Administration, Inhalation |
    Anesthetics, Inhalation | Dose-Response Relationship, Radiation | Carcinoma, Ductal, Breast |
    Health Knowledge, Attitudes | Health Knowledge, Attitudes, Practice | Mpox, Monkeypox |
    AlkB Homolog 3, Alpha-Ketoglutarate-Dependent Dioxygenase | Receptors, Immunologic |
    Chemotherapy, Cancer | Chemotherapy, Cancer, Regional Perfusion | Phantoms, Imaging |
    Axial Length, Eye | Enkephalin, Leucine | Enkephalin, Methionine
    """
)


def split_joined(text: str | None) -> tuple[str, ...]:
    """A ", "-joined list of MeSH descriptors or publication types, split back (see the
    module docstring for the rule and its limits)."""
    if not text or not text.strip():
        return ()
    terms: list[str] = []
    for part in (p.strip() for p in text.split(", ")):
        if not part:
            continue
        if terms and (
            f"{terms[-1]}, {part}" in KNOWN_JOINED or part in TAILS or _TAIL_PATTERNS.match(part)
        ):
            terms[-1] = f"{terms[-1]}, {part}"
        else:
            terms.append(part)
    return tuple(terms)


def split_list(text: str | None) -> tuple[str, ...]:
    """A ", "-joined list whose items hold no ", " (authors, keywords, grant ids)."""
    if not text:
        return ()
    return tuple(p.strip() for p in text.split(", ") if p.strip())

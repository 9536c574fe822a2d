"""MEDLINE's language codes (ISO 639-2/B) as readers and citation software want them.

Pages show a language's name ("English", not ``eng``); ``citation_language`` meta tags and
CSL-JSON carry ISO 639-1 / BCP 47 (``en``): citeproc-js applies English title case only
when an item's language is English or unset. Pure data and lookups.
"""

from __future__ import annotations

# code: (ISO 639-1, English name, Korean name)
LANGUAGES: dict[str, tuple[str, str, str]] = {
    "eng": ("en", "English", "영어"),
    "fre": ("fr", "French", "프랑스어"),
    "ger": ("de", "German", "독일어"),
    "spa": ("es", "Spanish", "스페인어"),
    "ita": ("it", "Italian", "이탈리아어"),
    "por": ("pt", "Portuguese", "포르투갈어"),
    "rus": ("ru", "Russian", "러시아어"),
    "jpn": ("ja", "Japanese", "일본어"),
    "chi": ("zh", "Chinese", "중국어"),
    "kor": ("ko", "Korean", "한국어"),
    "pol": ("pl", "Polish", "폴란드어"),
    "dut": ("nl", "Dutch", "네덜란드어"),
    "swe": ("sv", "Swedish", "스웨덴어"),
    "dan": ("da", "Danish", "덴마크어"),
    "nor": ("no", "Norwegian", "노르웨이어"),
    "fin": ("fi", "Finnish", "핀란드어"),
    "cze": ("cs", "Czech", "체코어"),
    "hun": ("hu", "Hungarian", "헝가리어"),
    "tur": ("tr", "Turkish", "튀르키예어"),
    "heb": ("he", "Hebrew", "히브리어"),
    "ara": ("ar", "Arabic", "아랍어"),
    "gre": ("el", "Greek", "그리스어"),
    "per": ("fa", "Persian", "페르시아어"),
    "ukr": ("uk", "Ukrainian", "우크라이나어"),
    "rum": ("ro", "Romanian", "루마니아어"),
    "slo": ("sk", "Slovak", "슬로바키아어"),
    "slv": ("sl", "Slovenian", "슬로베니아어"),
    "hrv": ("hr", "Croatian", "크로아티아어"),
    "srp": ("sr", "Serbian", "세르비아어"),
    "bul": ("bg", "Bulgarian", "불가리아어"),
    "lit": ("lt", "Lithuanian", "리투아니아어"),
    "lav": ("lv", "Latvian", "라트비아어"),
    "est": ("et", "Estonian", "에스토니아어"),
    "ice": ("is", "Icelandic", "아이슬란드어"),
    "cat": ("ca", "Catalan", "카탈루냐어"),
    "glg": ("gl", "Galician", "갈리시아어"),
    "baq": ("eu", "Basque", "바스크어"),
    "afr": ("af", "Afrikaans", "아프리칸스어"),
    "ind": ("id", "Indonesian", "인도네시아어"),
    "may": ("ms", "Malay", "말레이어"),
    "tha": ("th", "Thai", "태국어"),
    "vie": ("vi", "Vietnamese", "베트남어"),
    "hin": ("hi", "Hindi", "힌디어"),
    "ben": ("bn", "Bengali", "벵골어"),
    "urd": ("ur", "Urdu", "우르두어"),
    "lat": ("la", "Latin", "라틴어"),
    "epo": ("eo", "Esperanto", "에스페란토"),
    "wel": ("cy", "Welsh", "웨일스어"),
    "gle": ("ga", "Irish", "아일랜드어"),
    "mac": ("mk", "Macedonian", "마케도니아어"),
    "bos": ("bs", "Bosnian", "보스니아어"),
    "alb": ("sq", "Albanian", "알바니아어"),
    "arm": ("hy", "Armenian", "아르메니아어"),
    "geo": ("ka", "Georgian", "조지아어"),
    "aze": ("az", "Azerbaijani", "아제르바이잔어"),
    "kaz": ("kk", "Kazakh", "카자흐어"),
    "mon": ("mn", "Mongolian", "몽골어"),
    "tib": ("bo", "Tibetan", "티베트어"),
    "yid": ("yi", "Yiddish", "이디시어"),
    "swa": ("sw", "Swahili", "스와힐리어"),
}
# ...and MEDLINE's two codes that are not languages.
_NOT_LANGUAGES = {"mul": ("Multiple languages", "여러 언어"), "und": ("Undetermined", "미상")}


def iso639_1(code: str) -> str:
    """``eng`` → ``en``; a code without a two-letter form is returned as it is."""
    entry = LANGUAGES.get(code.strip().lower())
    return entry[0] if entry else code


def language_name(code: str, site_language: str = "en") -> str:
    """``eng`` → "English" (or its Korean name on a Korean site); unknown codes unchanged."""
    key = code.strip().lower()
    korean = site_language == "ko"
    if key in LANGUAGES:
        return LANGUAGES[key][2 if korean else 1]
    if key in _NOT_LANGUAGES:
        return _NOT_LANGUAGES[key][1 if korean else 0]
    return code

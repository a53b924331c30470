"""The plan document's words in Kazakh and Russian (and English for the pages and tests).

Annex titles follow Art. 13 of the Law "On Pastures" as docs/domain.md lists it: items 1,
7 and 7-1 are verified wording, the others recalled (an outline, not quotations); the
Kazakh titles are the project's working translation, to be checked against the official
Kazakh text before a decision is published.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from ..i18n import translator

__all__ = [
    "ANNEX_TITLES",
    "LANGS",
    "RULES",
    "TEXT",
    "WORDS",
    "annex_heading",
    "pasture_type",
    "source_text",
    "word",
]

LANGS: tuple[str, ...] = ("kk", "ru")

ANNEX_TITLES: dict[str, dict[str, str]] = {
    "1": {
        "ru": "Схема (карта) расположения пастбищ в разрезе категорий земель, собственников "
        "земельных участков и землепользователей на основании правоустанавливающих документов",
        "kk": "Құқық белгілейтін құжаттар негізінде жер санаттары, жер учаскелерінің меншік "
        "иелері және жер пайдаланушылар бөлінісінде жайылымдардың орналасу схемасы (картасы)",
        "en": "Map of pastures by land category, owner and land user, from title documents",
    },
    "2": {
        "ru": "Рекомендуемые схемы пастбищеоборотов",
        "kk": "Жайылым айналымының ұсынылатын схемалары",
        "en": "Recommended pasture-rotation schemes",
    },
    "3": {
        "ru": "Карта с обозначением внешних и внутренних границ и площадей пастбищ, в том числе "
        "сезонных, объектов пастбищной инфраструктуры",
        "kk": "Жайылымдардың, оның ішінде маусымдық жайылымдардың сыртқы және ішкі шекаралары "
        "мен алаңдары, жайылымдық инфрақұрылым объектілері белгіленген карта",
        "en": "Map of external and internal boundaries and areas of pastures, seasonal "
        "pastures and infrastructure",
    },
    "4": {
        "ru": "Схема доступа пастбищепользователей к водоисточникам, составленная согласно "
        "норме потребления воды",
        "kk": "Су тұтыну нормасына сәйкес жасалған жайылым пайдаланушылардың су көздеріне қол "
        "жеткізу схемасы",
        "en": "Scheme of pasture users' access to water sources by the watering norm",
    },
    "5": {
        "ru": "Схема перераспределения пастбищ для размещения поголовья сельскохозяйственных "
        "животных физических и (или) юридических лиц, у которых отсутствуют пастбища",
        "kk": "Жайылымы жоқ жеке және (немесе) заңды тұлғалардың ауыл шаруашылығы "
        "жануарларының мал басын орналастыру үшін жайылымдарды қайта бөлу схемасы",
        "en": "Scheme of redistribution of pastures to place the livestock of people "
        "without pasture",
    },
    "6": {
        "ru": "Схема размещения поголовья сельскохозяйственных животных на отгонных пастбищах "
        "физических и (или) юридических лиц, не обеспеченных пастбищами, расположенными "
        "при населённом пункте",
        "kk": "Елді мекен маңындағы жайылымдармен қамтамасыз етілмеген жеке және (немесе) "
        "заңды тұлғалардың ауыл шаруашылығы жануарларының мал басын шалғайдағы "
        "жайылымдарға орналастыру схемасы",
        "en": "Scheme of placing on distant pastures the livestock not provided with pasture "
        "near its settlement",
    },
    "7": {
        "ru": "Календарный график по использованию пастбищ, устанавливающий сезонные маршруты "
        "выпаса и передвижения сельскохозяйственных животных",
        "kk": "Ауыл шаруашылығы жануарларын жаюдың және айдаудың маусымдық маршруттарын "
        "белгілейтін жайылымдарды пайдалану жөніндегі күнтізбелік кесте",
        "en": "Calendar of pasture use: seasonal grazing and droving routes",
    },
    "7-1": {
        "ru": "Карта пастбищ, необходимых для выпаса сельскохозяйственных животных "
        "личных подворий населения",
        "kk": "Халықтың жеке қосалқы шаруашылықтарындағы ауыл шаруашылығы жануарларын жаю "
        "үшін қажетті жайылымдар картасы",
        "en": "Map of the pastures needed for households' livestock",
    },
    "8": {"ru": "Иные требования", "kk": "Өзге де талаптар", "en": "Other requirements"},
}

#: Phrases of the document, by key and language.
TEXT: dict[str, dict[str, str]] = {
    "annex": {"ru": "Приложение {n}", "kk": "{n}-қосымша", "en": "Annex {n}"},
    "plan_title": {
        "ru": "План по управлению пастбищами и их использованию",
        "kk": "Жайылымдарды басқару және оларды пайдалану жөніндегі жоспар",
        "en": "Pasture management and use plan",
    },
    "for_okrug": {
        "ru": "{okrug} на {y1}–{y2} годы",
        "kk": "{okrug} бойынша {y1}–{y2} жылдарға арналған",
        "en": "{okrug}, {y1}–{y2}",
    },
    "district": {
        "ru": "Енбекшиказахский район: сводка по сельским округам",
        "kk": "Еңбекшіқазақ ауданы: ауылдық округтер бойынша жиынтық",
        "en": "Enbekshikazakh District: summary by okrug",
    },
    "generated": {
        "ru": "СГЕНЕРИРОВАННЫЕ ДЕМОНСТРАЦИОННЫЕ ДАННЫЕ — не для решений",
        "kk": "ГЕНЕРАЦИЯЛАНҒАН ДЕМОНСТРАЦИЯЛЫҚ ДЕРЕКТЕР — шешім үшін емес",
        "en": "GENERATED DEMO DATA — not for decisions",
    },
    "source": {"ru": "Источник", "kk": "Дереккөз", "en": "Source"},
    "state": {"ru": "Состояние", "kk": "Күйі", "en": "State"},
    "version": {"ru": "Версия", "kk": "Нұсқа", "en": "Version"},
    "decision": {
        "ru": "Решение маслихата № {number} от {date}",
        "kk": "Мәслихаттың {date} № {number} шешімі",
        "en": "Maslikhat decision No. {number} of {date}",
    },
    "unavailable": {
        "ru": "Раздел не рассчитан: {reason}",
        "kk": "Бөлім есептелмеді: {reason}",
        "en": "Not computed: {reason}",
    },
    "breeding": {
        "ru": "Перепись не различает маточное поголовье и молодняк: всё поголовье учтено "
        "как маточное.",
        "kk": "Санақ аналық мал мен төлді ажыратпайды: барлық мал басы аналық ретінде есептелді.",
        "en": "The census does not tell breeding stock from young: every head counts as "
        "breeding stock.",
    },
    "basis": {
        "ru": "Основание: Земельный кодекс РК, ст. 15 п.1 пп.2-1, ст. 17 пп.8-1; Закон РК "
        "«О пастбищах», ст. 8 п.1, ст. 13.",
        "kk": "Негіздеме: ҚР Жер кодексі, 15-бап 1-тармақ 2-1) тармақша, 17-бап 8-1) "
        "тармақша; «Жайылымдар туралы» ҚР Заңы, 8-бап 1-тармақ, 13-бап.",
        "en": "Basis: Land Code Art. 15 п.1 пп.2-1, Art. 17 пп.8-1; Law 'On Pastures' "
        "Art. 8 п.1, Art. 13.",
    },
    "page": {"ru": "стр. {n}", "kk": "{n}-бет", "en": "page {n}"},
    # who uses a plot (annex 1's tables and map): the union's and settlement's names
    # come from the store (content.land_user_names)
    "land_user_union": {
        "ru": "Объединение пастбищепользователей: {name}",
        "kk": "Жайылым пайдаланушылар бірлестігі: {name}",
        "en": "{name}",
    },
    "land_user_public": {
        "ru": "Акимат: общественное пастбище, {place}",
        "kk": "Әкімдік: қоғамдық жайылым, {place}",
        "en": "akimat: public pasture of {place}",
    },
    "land_user_state": {
        "ru": "Акимат: государственные пастбища",
        "kk": "Әкімдік: мемлекеттік жайылымдар",
        "en": "akimat: state pasture",
    },
    "scale": {"ru": "км", "kk": "км", "en": "km"},
    "north": {"ru": "С", "kk": "С", "en": "N"},
}

#: Rules of annex 8, each with its source.
RULES: dict[str, dict[str, str]] = {
    "norm": {
        "ru": "Нагрузка на пастбища не превышает предельно допустимую норму (приказ "
        "МСХ РК № 3-3/332 от 14.04.2015, в ред. от 09.12.2024).",
        "kk": "Жайылымдарға түсетін жүктеме шекті рұқсат етілген нормадан аспайды (ҚР АШМ "
        "2015 жылғы 14.04. № 3-3/332 бұйрығы, 09.12.2024 ред.).",
        "en": "Load stays within the maximum permissible norm (Order 3-3/332).",
    },
    "unused": {
        "ru": "Пастбище считается неиспользуемым при нагрузке менее пятидесяти процентов от "
        "предельно допустимой нормы (Земельный кодекс РК, ст. 92 п.4 пп.3).",
        "kk": "Жүктеме шекті рұқсат етілген норманың елу пайызынан аз болса, жайылым "
        "пайдаланылмайды деп есептеледі (ҚР Жер кодексі, 92-бап 4-тармақ 3) тармақша).",
        "en": "A pasture under 50% of the norm counts as unused (Land Code Art. 92 п.4 пп.3).",
    },
    "order145": {
        "ru": "Выпас только идентифицированных животных; больные и непривитые животные к "
        "выпасу не допускаются (Типовые правила выпаса, приказ № 145).",
        "kk": "Тек бірдейлендірілген жануарлар жайылады; ауру және егілмеген жануарлар "
        "жайылымға жіберілмейді (Жаюдың үлгілік қағидалары, № 145 бұйрық).",
        "en": "Only identified animals graze; sick or unvaccinated ones do not (Order 145).",
    },
    "public": {
        "ru": "Общественные пастбища резервируются для маточного поголовья личных подворий "
        "и не переводятся в другие виды угодий (Земельный кодекс РК, ст. 97 п.4, ст. 98 "
        "п.4, ст. 49-2).",
        "kk": "Қоғамдық жайылымдар жеке қосалқы шаруашылықтардың аналық мал басы үшін "
        "резервтеледі және басқа алқаптарға ауыстырылмайды (ҚР Жер кодексі, 97-бап "
        "4-тармақ, 98-бап 4-тармақ, 49-2-бап).",
        "en": "Public pastures are reserved for households' breeding stock and not "
        "converted (Land Code Art. 97 п.4, 98 п.4, 49-2).",
    },
    "routes": {
        "ru": "Скотопрогонные трассы внутри района определяет район, межрайонные — область "
        "(Земельный кодекс РК, ст. 104).",
        "kk": "Аудан ішіндегі мал айдау жолдарын аудан, аудандар арасындағыларын облыс "
        "белгілейді (ҚР Жер кодексі, 104-бап).",
        "en": "Stock routes: the district inside it, the oblast across districts (Art. 104).",
    },
}

#: Table and column headings and cell values (seasons, statuses, kinds).
WORDS: dict[str, dict[str, str]] = {
    k: {"ru": ru, "kk": kk, "en": k.replace("_", " ")}
    for k, ru, kk in (
        ("land_category", "Категория земель", "Жер санаты"),
        ("tenure", "Вид пользования", "Пайдалану түрі"),
        ("land_user", "Землепользователь", "Жер пайдаланушы"),
        ("plots", "Участков", "Учаскелер"),
        ("area_ha", "Площадь, га", "Алаңы, га"),
        ("plot_id", "Участок", "Учаске"),
        ("name", "Наименование", "Атауы"),
        ("cadastral_number", "Кадастровый номер", "Кадастрлық нөмірі"),
        ("pasture_type", "Тип пастбища", "Жайылым түрі"),
        ("seasons", "Сезоны", "Маусымдар"),
        ("ha_per_sheep", "га на 1 овцу", "1 қойға, га"),
        ("ha_per_cattle", "га на 1 гол. КРС", "1 ІҚМ-ға, га"),
        ("ha_per_horse", "га на 1 лошадь", "1 жылқыға, га"),
        ("grazing_days", "Период выпаса, дней", "Жаю кезеңі, күн"),
        ("season", "Сезон", "Маусым"),
        ("object", "Объект", "Объект"),
        ("count", "Количество", "Саны"),
        ("length_km", "Протяжённость, км", "Ұзындығы, км"),
        ("species", "Вид животных", "Жануар түрі"),
        ("winter", "зима", "қыс"),
        ("spring", "весна", "көктем"),
        ("summer", "лето", "жаз"),
        ("autumn", "осень", "күз"),
        ("demand_m3_day", "Потребность, м³/сут", "Қажеттілік, м³/тәул"),
        ("demand_unreached_m3_day", "Без доступа, м³/сут", "Қолжетімсіз, м³/тәул"),
        ("yield_m3_day", "Дебит, м³/сут", "Дебиті, м³/тәул"),
        ("plots_unreached", "Участков без воды", "Сусыз учаскелер"),
        ("water_point_id", "Водоисточник", "Су көзі"),
        ("kind", "Тип", "Түрі"),
        ("capacity_m3_day", "Дебит, м³/сут", "Дебиті, м³/тәул"),
        ("status", "Оценка", "Бағасы"),
        ("distance_km", "Расстояние, км", "Қашықтығы, км"),
        ("settlement", "Населённый пункт", "Елді мекен"),
        ("settlement_id", "Населённый пункт", "Елді мекен"),
        ("households", "Хозяйств", "Шаруашылықтар"),
        ("sheep", "Овцы", "Қой"),
        ("goats", "Козы", "Ешкі"),
        ("cattle", "КРС", "ІҚМ"),
        ("horses", "Лошади", "Жылқы"),
        ("camels", "Верблюды", "Түйе"),
        ("sheep_units", "Усл. овец", "Шартты қой"),
        ("near_share", "Доля у села", "Ауыл маңындағы үлес"),
        ("distant_share", "Доля на отгоне", "Шалғайдағы үлес"),
        ("unplaced_share", "Не размещено", "Орналастырылмаған"),
        ("share", "Доля поголовья", "Мал басының үлесі"),
        ("hectares", "Используется, га", "Пайдаланылады, га"),
        ("okrug_id", "Сельский округ", "Ауылдық округ"),
        ("size_class", "Размер хозяйства, усл. овец", "Шаруашылық көлемі, шартты қой"),
        ("start", "Начало", "Басталуы"),
        ("end", "Окончание", "Аяқталуы"),
        ("routes", "Маршруты", "Маршруттар"),
        ("used_ha", "Необходимо, га", "Қажет, га"),
        ("by_user", "Пастбища по землепользователям", "Жер пайдаланушылар бойынша жайылымдар"),
        (
            "scheme",
            "Схема пастбищеоборота и нормы нагрузки",
            "Жайылым айналымы мен жүктеме нормалары",
        ),
        ("infrastructure", "Пастбищная инфраструктура", "Жайылымдық инфрақұрылым"),
        ("norms", "Нормы водопотребления, л/гол. в сутки", "Су тұтыну нормалары, л/бас тәулігіне"),
        ("totals", "Потребность и дебит по сезонам", "Маусымдар бойынша қажеттілік пен дебит"),
        ("points", "Водоисточники: потребность и дебит", "Су көздері: қажеттілік пен дебит"),
        ("unreached", "Участки вне досягаемости воды", "Судан алыс учаскелер"),
        ("settlements", "Размещение по населённым пунктам", "Елді мекендер бойынша орналастыру"),
        ("near", "Пастбища у населённых пунктов", "Елді мекен маңындағы жайылымдар"),
        (
            "fairness",
            "Справедливость: доли по размеру хозяйств",
            "Әділдік: шаруашылық көлемі бойынша үлестер",
        ),
        ("distant", "Отгонные пастбища", "Шалғайдағы жайылымдар"),
        ("unplaced", "Не размещено", "Орналастырылмаған"),
        ("needed", "Необходимые пастбища", "Қажетті жайылымдар"),
        ("calendar", "Календарный график", "Күнтізбелік кесте"),
        ("enough", "достаточно", "жеткілікті"),
        ("short", "не хватает", "жетіспейді"),
        ("unknown yield", "дебит неизвестен", "дебиті белгісіз"),
        ("water_points", "Водоисточники", "Су көздері"),
        ("okrug", "Сельский округ", "Ауылдық округ"),
        ("pasture_area_ha", "Площадь пастбищ, га", "Жайылым алаңы, га"),
        ("okrug_area_ha", "Площадь округа, га", "Округ алаңы, га"),
        ("draft", "проект", "жоба"),
        ("discussion", "обсуждение", "талқылау"),
        ("submitted", "внесён в маслихат", "мәслихатқа енгізілді"),
        ("approved", "утверждён", "бекітілді"),
        ("amended", "изменяется", "өзгертілуде"),
        ("expired", "срок истёк", "мерзімі өтті"),
        ("planned_area_ha", "Площадь пастбищ по плану, га", "Жоспар бойынша жайылым алаңы, га"),
        ("over the norm", "Участки сверх нормы", "Нормадан асқан учаскелер"),
        ("unused", "Неиспользуемые участки (< 50 % нормы)", "Пайдаланылмайтын учаскелер (< 50 %)"),
        ("degrading", "Деградирующие участки", "Тозып жатқан учаскелер"),
        ("water_short", "Водоисточники с нехваткой воды", "Суы жетпейтін су көздері"),
        ("plots_changed", "Изменений с утверждения", "Бекітілгеннен бергі өзгерістер"),
        (
            "agricultural land",
            "земли сельскохозяйственного назначения",
            "ауыл шаруашылығы мақсатындағы жерлер",
        ),
        ("reserve land", "земли запаса", "босалқы жерлер"),
        # plots.tenure (pasture.model.TENURES)
        ("public", "общественное пастбище", "қоғамдық жайылым"),
        ("union", "объединение", "бірлестік"),
        ("household", "хозяйство", "шаруашылық"),
        ("state", "государственные земли", "мемлекеттік жер"),
    )
}


def word(key: str, lang: str) -> str:
    """A heading or cell value in ``lang``; the key itself when there is no translation."""
    entry = WORDS.get(str(key))
    return entry.get(lang, str(key)) if entry else str(key)


def annex_heading(number: str, lang: str) -> str:
    """``Приложение 7-1. Карта ...`` / ``7-1-қосымша. ...``."""
    return f"{TEXT['annex'][lang].format(n=number)}. {ANNEX_TITLES[number][lang]}"


def pasture_type(value: object, lang: str) -> str:
    """A pasture type (``semi_desert``) in ``lang``: the catalogues' ``pasture`` words, the
    ones the map pages show."""
    return translator(lang).pgettext("pasture", str(value))


def _reach(value: str, lang: str) -> str:
    """``{'winter': 3.0, ...}`` (a content's reach by season) as ``зима 3, ...``."""
    try:
        reach = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value
    return ", ".join(f"{word(k, lang)} {v:g}" for k, v in reach.items())


#: Pieces of a source line that carry a value, each with how the value is said in ``lang``.
_SOURCE_TEMPLATES: dict[str, Callable[[str, str], str]] = {
    "season: {season}": word,
    "reach {reach} km (assumption)": _reach,
    "NASA SRTM (SRTM3, public domain), west of {lon} E": lambda v, lang: v,
}


def _template_pattern(template: str) -> re.Pattern[str]:
    text = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+)", re.escape(template))
    return re.compile(f"^{text}$")


_SOURCE_PATTERNS = [(t, _template_pattern(t), say) for t, say in _SOURCE_TEMPLATES.items()]


def _pieces(text: str) -> list[str]:
    """``text`` split at its ``"; "`` outside parentheses."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and text.startswith("; ", i):
            out.append(text[start:i])
            start = i + 2
    out.append(text[start:])
    return out


def source_text(text: str, lang: str) -> str:
    """A source line of the store (a table's source, a map's credit) in ``lang``.

    Source lines are written in English, pieces joined by ``"; "``; each piece is said in
    ``lang`` by the catalogues (context ``source``), a piece with a value by its template
    (:data:`_SOURCE_TEMPLATES`). A piece the catalogues do not know stays as recorded.
    """
    t = translator(lang)
    out = []
    for piece in _pieces(text):
        said = t.pgettext("source", piece)
        for template, pattern, say in _SOURCE_PATTERNS:
            if said == piece and (m := pattern.match(piece)):
                key = next(iter(m.groupdict()))
                said = t.pgettext("source", template).format(**{key: say(m[key], lang)})
        out.append(said)
    return "; ".join(out)

# ruff: noqa: RUF001
# Client data is multilingual: a Russian or Ukrainian company form spelt in
# Cyrillic capitals is a word, not a look-alike of Latin letters (RUF001).
"""Build kamcore's shipped sample portfolio and the map of the situations it shows.

Run it from anywhere::

    python tools/sample_portfolio.py

It writes two files, byte for byte the same on every run:

- ``src/kamcore/data/sample-portfolio.json``: 45 client files in five markets
  (China, Russia, Ukraine, Bulgaria, the UK and international), the staff and
  the weekly reports to the department heads, exported at 2026-11-20 18:00 UTC;
- ``src/kamcore/data/sample-scenarios.json``: for every service principle, the
  situations the sample shows, the accounts that break and honour each one, and
  the events that show it.

How it is built: every account first gets a *baseline* of good service for its
tier (personal contact at the tier's cadence, thanks and future-plan talks,
surveys, a joint goal for key accounts, quickly answered requests, promises kept
early, purchases since 2024). The table of scenarios at the bottom then *tweaks*
that baseline for an account (no goal, silence since a date, purchases stopping)
and adds the events that show a situation (a request left unanswered, a promise
slipped three times, ...). Randomness is one seeded generator per account, used
only for filler: amounts, times of day, survey scores.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from kamcore.fileformat import dumps_portfolio
from kamcore.model import (
    Account,
    AdverseChange,
    AnswerPromised,
    ChangeCommunicated,
    ClientFile,
    Complaint,
    ComplaintStep,
    Contact,
    Decision,
    Document,
    Event,
    FactValue,
    Goal,
    GoalProgress,
    Interaction,
    PersonalNote,
    Portfolio,
    Promise,
    PromiseKept,
    PromiseRenegotiated,
    Report,
    Request,
    RequestAnswered,
    Situation,
    SituationResponse,
    StaffMember,
    SurveyResponse,
    Timeline,
    Transaction,
    WaitEnded,
    WaitStarted,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "kamcore" / "data"
PORTFOLIO_PATH = DATA / "sample-portfolio.json"
SCENARIOS_PATH = DATA / "sample-scenarios.json"

EXPORTED_AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
EXPORT_DAY = EXPORTED_AT.date()
WINDOW_START = date(2026, 4, 1)
"""Where the baseline timeline starts; purchases and a few surveys go further back."""
HISTORY_START = date(2024, 1, 1)
SURVEY_HISTORY_START = date(2025, 10, 1)
FIRST_REPORT = date(2026, 4, 6)
"""The first Monday of the window: weekly reports start here."""
EURO_DAY = date(2026, 1, 1)
"""Bulgaria switched from the lev (BGN) to the euro on this day."""
GOAL_TARGET = date(2026, 12, 31)
KEY_TIERS = frozenset({"strategic", "key"})

# Units per 1 EUR, as in kamcore's default rule set (BGN is the legal fixed rate).
RATES: Mapping[str, float] = {
    "EUR": 1.0,
    "BGN": 1.95583,
    "USD": 1.08,
    "GBP": 0.85,
    "CNY": 7.8,
    "RUB": 95.0,
    "UAH": 45.0,
}

# ---------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------

STAFF = (
    StaffMember(
        id="wang-lei", name="王磊", role="account_manager", language="zh", reports_to="collins"
    ),
    StaffMember(
        id="sokolova",
        name="Ирина Соколова",
        role="account_manager",
        language="ru",
        reports_to="dimitrov",
    ),
    StaffMember(
        id="kovalenko",
        name="Олена Коваленко",
        role="account_manager",
        language="uk",
        reports_to="dimitrov",
    ),
    StaffMember(
        id="georgieva",
        name="Мария Георгиева",
        role="account_manager",
        language="bg",
        reports_to="dimitrov",
    ),
    StaffMember(
        id="whitfield",
        name="James Whitfield",
        role="account_manager",
        language="en",
        reports_to="collins",
    ),
    StaffMember(
        id="dimitrov",
        name="Петър Димитров",
        role="department_head",
        language="bg",
        reports_to="chen",
    ),
    StaffMember(
        id="collins",
        name="Sarah Collins",
        role="department_head",
        language="en",
        reports_to="chen",
    ),
    StaffMember(id="chen", name="陈建国", role="executive", language="zh"),
    StaffMember(id="petrenko", name="Андрій Петренко", role="support", language="uk"),
    StaffMember(id="li-na", name="李娜", role="delivery", language="zh"),
    StaffMember(id="ivanova", name="Елена Иванова", role="billing", language="ru"),
    StaffMember(
        id="hughes", name="Owen Hughes", role="billing", sees_key_list=False, language="en"
    ),
    StaffMember(
        id="grant",
        name="Nina Grant",
        role="other",
        client_facing=False,
        sees_key_list=False,
        language="en",
    ),
)

# ---------------------------------------------------------------------------
# Markets: time zone, currency, staff and the words the filler is made of
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Market:
    """One market: where its clients are, who serves them, how they are spoken to."""

    language: str
    zone: str
    currency: str
    owner: str
    head: str
    phone_prefix: str
    people: tuple[tuple[str, str], ...]
    """(name, e-mail handle); a Latin name in a non-English market speaks English."""
    positions: tuple[str, ...]
    notes: tuple[tuple[str, str], ...]
    """(topic, text with ``{name}``): personal notes that build rapport."""
    needs: tuple[str, ...]
    preferences: tuple[str, ...]
    products: tuple[str, ...]
    requests: tuple[str, ...]
    promises: tuple[str, ...]
    goals: tuple[str, ...]
    plan_document: str
    phrases: Mapping[str, str]
    """Summaries by topic, plus ``answer``, ``progress`` and ``newsletter``."""


# fmt: off
MARKETS: Mapping[str, Market] = {
    "zh": Market(
        language="zh",
        zone="Asia/Shanghai",
        currency="CNY",
        owner="wang-lei",
        head="collins",
        phone_prefix="+86 21 5",
        people=(
            ("张伟", "zhang.wei"), ("刘芳", "liu.fang"), ("Kevin Zhou", "kevin.zhou"),
            ("王静", "wang.jing"), ("李强", "li.qiang"), ("陈敏", "chen.min"),
            ("杨洋", "yang.yang"), ("赵磊", "zhao.lei"), ("黄丽", "huang.li"), ("周杰", "zhou.jie"),
            ("吴婷", "wu.ting"), ("徐明", "xu.ming"), ("孙悦", "sun.yue"), ("马骏", "ma.jun"),
            ("朱琳", "zhu.lin"), ("胡斌", "hu.bin"), ("郭婧", "guo.jing"), ("何平", "he.ping"),
            ("高翔", "gao.xiang"), ("林晓", "lin.xiao"),
        ),
        positions=(
            "采购总监", "首席信息官", "国际业务经理", "财务经理", "运营副总裁", "IT 经理", "总经理",
            "供应链经理",
        ),
        notes=(
            ("hometown", "{name}老家在青岛，周末喜欢下围棋。"),
            ("success_story", "{name}2019年带领团队用半年完成全国仓储系统上线，常以此为荣。"),
            ("sport", "{name}是广州队的铁杆球迷，聊足球很投缘。"),
            ("family", "{name}的女儿今年考上了浙江大学。"),
            ("hobby", "{name}喜欢喝普洱茶，拜访时可带一些云南茶叶。"),
            ("sport", "{name}热爱马拉松，去年跑完了北京马拉松。"),
        ),
        needs=(
            "ERP 集成模块", "季度培训课程", "云端备份扩容", "移动端销售应用", "数据分析报表",
            "多仓库管理",
        ),
        preferences=(
            "重要事项当面沟通", "邮件请抄送财务部", "每周二上午方便通话", "合同文件需中英双语",
            "节假日前避免安排上线",
        ),
        products=(
            "ERP 集成模块许可", "云服务年度订阅", "实施与培训服务", "数据分析模块", "技术支持套餐",
        ),
        requests=(
            "申请增加 20 个用户账号", "咨询数据迁移的报价", "需要上月的使用情况报表",
            "询问新版本的上线时间",
        ),
        promises=(
            "发送季度使用情况报告", "安排关键用户培训", "提供新版本功能演示",
        ),
        goals=(
            "2026 年底前将订单处理时间缩短 30%", "2026 年底前实现全部门店库存实时同步",
        ),
        plan_document="联合成功计划2026（已签署）.pdf",
        phrases={
            "update": "例行沟通：项目进展与下周安排",
            "thanks": "感谢客户一直以来的信任与合作",
            "future_plans": "讨论明年的扩展计划和新模块上线",
            "goal_review": "回顾联合目标进展",
            "answer": "已回复并发送相关资料",
            "progress": "按计划推进",
            "newsletter": "产品月报：新功能与活动",
        },
    ),
    "ru": Market(
        language="ru",
        zone="Europe/Moscow",
        currency="RUB",
        owner="sokolova",
        head="dimitrov",
        phone_prefix="+7 495 5",
        people=(
            ("Алексей Смирнов", "a.smirnov"), ("Наталья Волкова", "n.volkova"),
            ("Дмитрий Кузнецов", "d.kuznetsov"), ("Ольга Морозова", "o.morozova"),
            ("Сергей Попов", "s.popov"), ("Татьяна Лебедева", "t.lebedeva"),
            ("Андрей Новиков", "a.novikov"), ("Елена Фёдорова", "e.fedorova"),
            ("Михаил Орлов", "m.orlov"), ("Юлия Быкова", "y.bykova"), ("Павел Зайцев", "p.zaitsev"),
            ("Марина Соловьёва", "m.solovyova"), ("Игорь Васильев", "i.vasiliev"),
            ("Светлана Егорова", "s.egorova"), ("Виктор Никитин", "v.nikitin"),
            ("Анна Крылова", "a.krylova"), ("Роман Белов", "r.belov"),
            ("Ксения Тихонова", "k.tikhonova"), ("Денис Громов", "d.gromov"),
            ("Ирина Павлова", "i.pavlova"),
        ),
        positions=(
            "Директор по закупкам", "Финансовый директор", "ИТ-директор", "Коммерческий директор",
            "Руководитель отдела логистики", "Генеральный директор", "Главный инженер",
            "Руководитель проектов",
        ),
        notes=(
            ("hometown", "{name} родом из Казани, болеет за «Рубин» и любит рыбалку на Волге."),
            ("family", "{name} по выходным выбирается с семьёй на дачу под Тверью."),
            ("success_story", "{name} вывел компанию на рынок Казахстана за один год — любит об этом рассказывать."),
            ("sport", "{name} играет в хоккей в любительской лиге и болеет за ЦСКА."),
            ("hobby", "{name} коллекционирует советские фотоаппараты — хорошая тема для беседы."),
            ("family", "{name}: в семье недавно родился второй ребёнок."),
        ),
        needs=(
            "Модуль складского учёта", "Интеграция с 1С", "Обучение новых сотрудников",
            "Расширение числа лицензий", "Аналитика продаж",
            "Мобильное приложение для торговых представителей",
        ),
        preferences=(
            "Важные вопросы — только по телефону", "Документы присылать в PDF с подписью",
            "Встречи в первой половине дня", "Копию писем — в бухгалтерию",
            "Не звонить в пятницу после 16:00",
        ),
        products=(
            "Лицензия CRM Pro (годовая)", "Модуль складского учёта", "Внедрение и настройка",
            "Техническая поддержка (пакет 100 ч)", "Обучение пользователей",
        ),
        requests=(
            "Запрос счёта на продление лицензий", "Вопрос по настройке отчёта о продажах",
            "Просьба добавить пять пользователей", "Уточнение сроков выхода обновления",
        ),
        promises=(
            "Прислать квартальный отчёт об использовании",
            "Провести обучение для новых сотрудников", "Подготовить демонстрацию новой версии",
        ),
        goals=(
            "Сократить время обработки заказа на 25% к концу 2026 года",
            "Перевести все филиалы на единый складской учёт к концу 2026 года",
        ),
        plan_document="План совместного развития 2026 (подписан).pdf",
        phrases={
            "update": "Плановый созвон: статус проекта и ближайшие шаги",
            "thanks": "Поблагодарили за сотрудничество и своевременные платежи",
            "future_plans": "Обсудили планы клиента на следующий год и новые модули",
            "goal_review": "Разобрали прогресс по совместной цели",
            "answer": "Ответили, отправили документы",
            "progress": "Работа идёт по плану",
            "newsletter": "Ежемесячная рассылка: новости продукта",
        },
    ),
    "uk": Market(
        language="uk",
        zone="Europe/Kyiv",
        currency="UAH",
        owner="kovalenko",
        head="dimitrov",
        phone_prefix="+380 44 5",
        people=(
            ("Олександр Шевченко", "o.shevchenko"), ("Ірина Бондаренко", "i.bondarenko"),
            ("Тарас Мельник", "t.melnyk"), ("Оксана Ткачук", "o.tkachuk"),
            ("Богдан Кравченко", "b.kravchenko"), ("Наталія Лисенко", "n.lysenko"),
            ("Юрій Гнатюк", "y.hnatiuk"), ("Світлана Марченко", "s.marchenko"),
            ("Василь Олійник", "v.oliinyk"), ("Галина Савчук", "h.savchuk"),
            ("Андрій Руденко", "a.rudenko"), ("Людмила Поліщук", "l.polishchuk"),
            ("Євген Ковальчук", "y.kovalchuk"), ("Марія Білик", "m.bilyk"),
            ("Ярослав Стасюк", "y.stasiuk"), ("Тетяна Гребенюк", "t.hrebeniuk"),
            ("Микола Яковенко", "m.yakovenko"), ("Ольга Дячук", "o.diachuk"),
            ("Степан Іваненко", "s.ivanenko"), ("Катерина Ярмоленко", "k.yarmolenko"),
        ),
        positions=(
            "Директор із закупівель", "Фінансовий директор", "ІТ-директор", "Комерційний директор",
            "Керівник відділу логістики", "Генеральний директор", "Головний інженер",
            "Менеджер проєктів",
        ),
        notes=(
            ("hometown", "{name} родом зі Львова, вболіває за «Карпати» і варить чудову каву."),
            ("hobby", "{name} щоліта їздить із родиною в Карпати, любить гірські походи."),
            ("success_story", "{name} за два роки вивів компанію на ринок Польщі — пишається цим."),
            ("hobby", "{name} грає на бандурі в аматорському ансамблі."),
            ("hobby", "{name} збирає старовинні мапи України; гарна тема для розмови."),
            ("family", "{name} підтримує місцевий притулок для тварин разом із доньками."),
        ),
        needs=(
            "Модуль складського обліку", "Інтеграція з BAS", "Навчання нових працівників",
            "Розширення кількості ліцензій", "Аналітика продажів",
            "Мобільний застосунок для торгових представників",
        ),
        preferences=(
            "Важливі питання — лише телефоном",
            "Документи надсилати з кваліфікованим електронним підписом",
            "Зустрічі в першій половині дня", "Листи дублювати повідомленням",
            "Не телефонувати в п'ятницю після 16:00",
        ),
        products=(
            "Ліцензія CRM Pro (річна)", "Модуль складського обліку", "Впровадження та налаштування",
            "Технічна підтримка (пакет 100 год)", "Навчання користувачів",
        ),
        requests=(
            "Запит рахунку на продовження ліцензій", "Питання щодо налаштування звіту продажів",
            "Прохання додати п'ять користувачів", "Уточнення строків виходу оновлення",
        ),
        promises=(
            "Надіслати квартальний звіт про використання",
            "Провести навчання для нових працівників", "Підготувати демонстрацію нової версії",
        ),
        goals=(
            "Скоротити час обробки замовлення на 25% до кінця 2026 року",
            "Перевести всі філії на єдиний складський облік до кінця 2026 року",
        ),
        plan_document="План спільного розвитку 2026 (підписаний).pdf",
        phrases={
            "update": "Плановий дзвінок: стан проєкту та наступні кроки",
            "thanks": "Подякували за співпрацю та своєчасні оплати",
            "future_plans": "Обговорили плани клієнта на наступний рік і нові модулі",
            "goal_review": "Переглянули прогрес за спільною ціллю",
            "answer": "Відповіли, надіслали документи",
            "progress": "Робота йде за планом",
            "newsletter": "Щомісячна розсилка: новини продукту",
        },
    ),
    "bg": Market(
        language="bg",
        zone="Europe/Sofia",
        currency="EUR",
        owner="georgieva",
        head="dimitrov",
        phone_prefix="+359 2 9",
        people=(
            ("Георги Петров", "g.petrov"), ("Иванка Стоянова", "i.stoyanova"),
            ("Николай Колев", "n.kolev"), ("Елена Тодорова", "e.todorova"),
            ("Стефан Николов", "s.nikolov"), ("Десислава Маринова", "d.marinova"),
            ("Христо Атанасов", "h.atanasov"), ("Радостина Илиева", "r.ilieva"),
            ("Валентин Ангелов", "v.angelov"), ("Цветелина Костова", "ts.kostova"),
            ("Борислав Христов", "b.hristov"), ("Мирослава Пенева", "m.peneva"),
            ("Калоян Василев", "k.vasilev"), ("Теодора Русева", "t.ruseva"),
            ("Пламен Генчев", "p.genchev"), ("Даниела Йорданова", "d.yordanova"),
            ("Емил Стефанов", "e.stefanov"), ("Силвия Добрева", "s.dobreva"),
            ("Явор Манолов", "y.manolov"), ("Гергана Нейкова", "g.neykova"),
        ),
        positions=(
            "Директор „Доставки“", "Финансов директор", "ИТ директор", "Търговски директор",
            "Ръководител „Логистика“", "Управител", "Главен инженер", "Ръководител проекти",
        ),
        notes=(
            ("hometown", "{name} е от Пловдив, запален фен на „Ботев“ и обича преходите в Родопите."),
            ("family", "{name} всяко лято е в Созопол със семейството си."),
            ("success_story", "{name} изгради веригата от нула до 40 обекта за пет години — разказва го с гордост."),
            ("hobby", "{name} прави собствено вино в двора на къщата си край Мелник."),
            ("sport", "{name} тренира волейбол в аматьорски отбор всеки вторник."),
            ("family", "{name} има малка дъщеря, която тъкмо тръгна на училище."),
        ),
        needs=(
            "Модул за складова отчетност", "Интеграция с Microinvest", "Обучение на нови служители",
            "Допълнителни лицензи", "Анализи на продажбите", "Мобилно приложение за търговците",
        ),
        preferences=(
            "Важните въпроси — само по телефона", "Документите — подписани с електронен подпис",
            "Срещи преди обяд", "Копие от писмата до счетоводството",
            "Без обаждания в петък следобед",
        ),
        products=(
            "Лиценз CRM Pro (годишен)", "Модул за складова отчетност", "Внедряване и настройка",
            "Техническа поддръжка (пакет 100 ч)", "Обучение на потребители",
        ),
        requests=(
            "Искане на фактура за подновяване на лицензите",
            "Въпрос за настройка на отчета за продажбите", "Молба за още петима потребители",
            "Кога излиза новата версия",
        ),
        promises=(
            "Да изпратим тримесечния отчет за използването",
            "Да проведем обучение за новите служители",
            "Да подготвим демонстрация на новата версия",
        ),
        goals=(
            "Съкращаване на времето за обработка на поръчка с 25% до края на 2026 г.",
            "Всички складове на единна отчетност до края на 2026 г.",
        ),
        plan_document="План за съвместно развитие 2026 (подписан).pdf",
        phrases={
            "update": "Планов разговор: състояние на проекта и следващи стъпки",
            "thanks": "Благодарихме за партньорството и навременните плащания",
            "future_plans": "Обсъдихме плановете на клиента за следващата година и новите модули",
            "goal_review": "Прегледахме напредъка по общата цел",
            "answer": "Отговорихме и изпратихме документите",
            "progress": "Работата върви по план",
            "newsletter": "Месечен бюлетин: новости в продукта",
        },
    ),
    "en": Market(
        language="en",
        zone="Europe/London",
        currency="GBP",
        owner="whitfield",
        head="collins",
        phone_prefix="+44 20 7946",
        people=(
            ("Oliver Bennett", "o.bennett"), ("Charlotte Hayes", "c.hayes"),
            ("Priya Raman", "p.raman"), ("Daniel O'Connor", "d.oconnor"),
            ("Emily Carter", "e.carter"), ("Marcus Reid", "m.reid"), ("Sophie Turner", "s.turner"),
            ("Liam Walsh", "l.walsh"), ("Hannah Price", "h.price"), ("Samuel Okafor", "s.okafor"),
            ("Grace Mitchell", "g.mitchell"), ("Thomas Wright", "t.wright"),
            ("Isabel Moreau", "i.moreau"), ("Jack Harrison", "j.harrison"),
            ("Chloe Evans", "c.evans"), ("Ryan Murphy", "r.murphy"), ("Amelia Ward", "a.ward"),
            ("Noah Fischer", "n.fischer"), ("Zoe Clarke", "z.clarke"), ("Ethan Brooks", "e.brooks"),
        ),
        positions=(
            "Head of Procurement", "Finance Director", "Chief Information Officer",
            "Commercial Director", "Logistics Manager", "Managing Director", "Chief Engineer",
            "Programme Manager",
        ),
        notes=(
            ("hometown", "{name} grew up in Leeds and never misses a Leeds United home game."),
            ("sport", "{name} ran the London Marathon last April and is training for Berlin."),
            ("success_story", "{name} took the business from one depot to twelve in four years and likes to tell the story."),
            ("hobby", "{name} is a keen sailor and spends August on the Solent."),
            ("hobby", "{name} collects first editions of Agatha Christie."),
            ("family", "{name}'s son has just started at university in Edinburgh."),
        ),
        needs=(
            "Warehouse management module", "Integration with Sage",
            "Onboarding training for new staff", "Additional licences", "Sales analytics",
            "Mobile app for field reps",
        ),
        preferences=(
            "Important matters by phone, not e-mail", "Signed PDFs for contracts",
            "Meetings before noon", "Copy accounts payable on invoices",
            "No calls on Friday afternoons",
        ),
        products=(
            "CRM Pro licence (annual)", "Warehouse management module", "Implementation services",
            "Premium support (100 h)", "User training",
        ),
        requests=(
            "Quote for renewing the licences", "Question about configuring the sales report",
            "Please add five users", "When is the next release due?",
        ),
        promises=(
            "Send the quarterly usage report", "Run training for new staff",
            "Prepare a demo of the new version",
        ),
        goals=(
            "Cut order processing time by 25% by the end of 2026",
            "All branches on one stock ledger by the end of 2026",
        ),
        plan_document="Joint success plan 2026 (signed).pdf",
        phrases={
            "update": "Scheduled call: project status and next steps",
            "thanks": "Thanked them for the partnership and prompt payments",
            "future_plans": "Discussed next year's plans and new modules",
            "goal_review": "Reviewed progress on the joint goal",
            "answer": "Answered and sent the documents",
            "progress": "On track",
            "newsletter": "Monthly newsletter: product news",
        },
    ),
}
# fmt: on

# ---------------------------------------------------------------------------
# Tiers: the baseline of good service each tier gets (days between events)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cadence:
    """How often the baseline does things for an account of a tier (in days)."""

    contact_every: int
    channels: tuple[str, ...]
    contacts: int
    future_every: int
    survey_every: int
    goal_every: int
    request_every: int | None
    promise_every: int | None
    newsletters: bool
    purchase_every: int | None
    """``None``: monthly."""


# Intervals sit well inside kamcore's default service standards
# (e.g. strategic: contact every 7 days, surveys every 90, future talk every 30).
CADENCES: Mapping[str, Cadence] = {
    "strategic": Cadence(
        5, ("call", "meeting", "call", "visit"), 3, 18, 63, 25, 35, 50, False, None
    ),
    "key": Cadence(10, ("call", "meeting", "call", "email"), 2, 36, 84, 40, 45, 60, False, None),
    "vip": Cadence(21, ("call", "email"), 2, 54, 126, 60, 70, 90, True, 45),
    "regular": Cadence(60, ("email", "call"), 2, 108, 255, 90, None, None, True, 75),
}
CONTACT_CHANNELS = ("meeting", "call", "email", "call", "message", "visit")
INTERACTION_PREFIX = {
    "call": "call",
    "meeting": "meet",
    "visit": "visit",
    "email": "mail",
    "message": "msg",
    "demo": "demo",
}

# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------

FLAGS = (
    "new_segment",
    "new_territory",
    "media_active",
    "uses_competitor",
    "competitor_unsatisfied",
    "strategic_list",
)


def facts(
    brand: str, potential: int, segment: str, territory: str, reps: int, *flags: str
) -> dict[str, FactValue]:
    """The classification facts of an account; *flags* name the yes/no facts that hold."""
    unknown = set(flags) - set(FLAGS)
    if unknown:
        raise ValueError(f"unknown flags {sorted(unknown)}")
    return {
        "brand_recognition": brand,
        "annual_potential": potential,
        "segment": segment,
        "territory": territory,
        "field_sales_reps": reps,
        **{flag: flag in flags for flag in FLAGS},
    }


class Row(NamedTuple):
    """One account of the table."""

    id: str
    market: str
    name: str
    tier: str | None
    since: str
    monthly_eur: int
    domain: str
    facts: dict[str, FactValue]
    currency: str | None = None


# fmt: off
ACCOUNTS: tuple[Row, ...] = (
    # China: 王磊 -----------------------------------------------------------------------------
    Row("KA-001", "zh", "华信科技有限公司", "strategic", "2019-03-15", 26_000, "huaxin-tech.cn",
        facts("high", 3_000_000, "manufacturing", "East China", 140, "media_active", "strategic_list")),
    Row("KA-002", "zh", "深圳前海云帆物流有限公司", "key", "2021-06-01", 9_000, "yunfan-logistics.cn",
        facts("medium", 800_000, "logistics", "South China", 45, "new_segment", "uses_competitor", "competitor_unsatisfied")),
    Row("KA-003", "zh", "杭州绿源食品股份有限公司", "vip", "2022-02-10", 2_600, "lvyuan-food.cn",
        facts("medium", 150_000, "food", "East China", 12)),
    Row("KA-004", "zh", "成都天府医疗器械有限公司", "key", "2020-09-01", 8_000, "tianfu-med.cn",
        facts("medium", 700_000, "medical devices", "West China", 30, "new_segment", "new_territory")),
    Row("KA-005", "zh", "苏州恒达精密机械有限公司", "regular", "2023-05-22", 700, "hengda-precision.cn",
        facts("low", 60_000, "machinery", "East China", 5)),
    Row("KA-006", "zh", "北京博雅教育科技有限公司", None, "2024-03-01", 900, "boya-edu.cn",
        facts("low", 80_000, "education", "North China", 8)),
    Row("KA-007", "zh", "广州美域化妆品有限公司", "key", "2021-11-15", 7_500, "meiyu-cosmetics.cn",
        facts("high", 600_000, "cosmetics", "South China", 60, "media_active")),
    Row("KA-008", "zh", "上海东方星辰文化传媒有限公司", "regular", "2022-08-01", 5_200, "dfxc-media.cn",
        facts("high", 1_500_000, "media", "East China", 80, "new_segment", "media_active", "uses_competitor", "competitor_unsatisfied")),
    Row("KA-009", "zh", "青岛海润水产有限公司", "vip", "2021-04-12", 2_400, "hairun-seafood.cn",
        facts("medium", 120_000, "food", "North China", 10)),
    # Russia: Ирина Соколова ----------------------------------------------------------------
    Row("KA-010", "ru", "ООО «СеверСтрой Инжиниринг»", "strategic", "2018-10-01", 24_000, "severstroy.ru",
        facts("high", 2_500_000, "construction", "North-West Russia", 110, "media_active", "strategic_list")),
    Row("KA-011", "ru", "АО «Волгатех»", "key", "2020-02-17", 8_500, "volgatech.ru",
        facts("medium", 900_000, "industrial IoT", "Volga", 40, "new_segment", "uses_competitor", "competitor_unsatisfied")),
    Row("KA-012", "ru", "ООО «Уральские Сети»", "key", "2023-01-10", 800, "uralseti.ru",
        facts("low", 40_000, "telecom", "Urals", 4)),
    Row("KA-013", "ru", "ООО «Балтийская Торговая Компания»", "vip", "2021-07-05", 2_800, "baltic-trade.ru",
        facts("medium", 200_000, "wholesale", "Kaliningrad", 15)),
    Row("KA-014", "ru", "ООО «Сибирский Агрохолдинг»", "key", "2019-05-20", 9_000, "sibagro.ru",
        facts("medium", 1_100_000, "agriculture", "Siberia", 55, "new_territory")),
    Row("KA-015", "ru", "ИП Кузнецов Андрей Викторович", "regular", "2023-09-01", 400, "kuznetsov-shop.ru",
        facts("low", 20_000, "retail", "Moscow", 2)),
    Row("KA-016", "ru", "ООО «МедТехника Плюс»", None, "2024-06-17", 1_100, "medtechnika.ru",
        facts("low", 90_000, "medical devices", "Moscow", 6)),
    Row("KA-017", "ru", "ПАО «Камская Энергетика»", "regular", "2022-04-01", 6_000, "kamenergo.ru",
        facts("high", 2_000_000, "energy", "Volga", 90, "uses_competitor", "competitor_unsatisfied", "strategic_list")),
    Row("KA-018", "ru", "ООО «Северный Ветер»", "vip", "2022-10-10", 1_400, "sev-veter.ru",
        facts("low", 60_000, "hospitality", "Murmansk", 6)),
    # Ukraine: Олена Коваленко -------------------------------------------------------------
    Row("KA-019", "uk", "ТОВ «Дніпро Агроінвест»", "strategic", "2018-04-02", 22_000, "dnipro-agro.ua",
        facts("high", 2_200_000, "agriculture", "Dnipro", 95, "media_active", "strategic_list")),
    Row("KA-020", "uk", "ТОВ «Львівська Кавова Мануфактура»", "key", "2020-03-02", 7_000, "lviv-coffee.ua",
        facts("high", 500_000, "food & beverage", "Lviv", 35, "media_active")),
    Row("KA-021", "uk", "ТОВ «Київенергосервіс»", "key", "2021-01-18", 8_000, "kyivenergoservis.ua",
        facts("medium", 850_000, "energy", "Kyiv", 40, "uses_competitor", "competitor_unsatisfied")),
    Row("KA-022", "uk", "ТОВ «Одеса Порт Логістик»", "vip", "2021-09-06", 2_900, "odesa-port-logistics.ua",
        facts("medium", 250_000, "logistics", "Odesa", 14)),
    Row("KA-023", "uk", "ФОП Ткаченко Ірина Миколаївна", "regular", "2023-02-01", 350, "tkachenko-fop.ua",
        facts("low", 15_000, "retail", "Vinnytsia", 1)),
    Row("KA-024", "uk", "ТОВ «Харківприлад»", "key", "2022-05-16", 6_500, "kharkivprylad.ua",
        facts("medium", 650_000, "instrumentation", "Kharkiv", 28, "new_segment")),
    Row("KA-025", "uk", "ТОВ «Запорізький Металсервіс»", None, "2024-01-22", 1_000, "zp-metalservis.ua",
        facts("low", 70_000, "metals", "Zaporizhzhia", 5)),
    Row("KA-026", "uk", "ТОВ «Полтавська Пекарня»", "regular", "2023-03-13", 500, "poltava-bakery.ua",
        facts("low", 30_000, "food", "Poltava", 3)),
    Row("KA-027", "uk", "ТОВ «Волинь Фарм»", "vip", "2021-12-01", 2_500, "volyn-pharm.ua",
        facts("medium", 180_000, "pharma", "Lutsk", 12)),
    # Bulgaria: Мария Георгиева ------------------------------------------------------------
    Row("KA-028", "bg", "„Балкан Логистик“ ЕООД", "strategic", "2019-01-14", 21_000, "balkan-logistic.bg",
        facts("high", 2_000_000, "logistics", "Sofia", 85, "media_active", "strategic_list")),
    Row("KA-029", "bg", "„Тракия Агро“ ООД", "key", "2020-06-01", 7_800, "trakia-agro.bg",
        facts("medium", 750_000, "agriculture", "Stara Zagora", 30, "new_segment", "uses_competitor", "competitor_unsatisfied")),
    Row("KA-030", "bg", "„Родопа Милк“ ООД", "vip", "2021-03-08", 2_300, "rodopa-milk.bg",
        facts("medium", 140_000, "dairy", "Smolyan", 9)),
    Row("KA-031", "bg", "„София Софтуер Системс“ ЕООД", "key", "2022-09-12", 6_800, "sofia-software.bg",
        facts("medium", 600_000, "software", "Sofia", 50, "new_segment", "media_active")),
    Row("KA-032", "bg", "„Пловдив Пак“ ООД", "regular", "2022-01-17", 900, "plovdiv-pack.bg",
        facts("low", 50_000, "packaging", "Plovdiv", 4)),
    Row("KA-033", "bg", "„Черноморски Хотели“ АД", "key", "2020-11-02", 8_200, "chernomorski-hoteli.bg",
        facts("high", 900_000, "hospitality", "Varna", 25, "media_active")),
    Row("KA-034", "bg", "„Дунав Метал“ ЕООД", None, "2024-02-05", 800, "dunav-metal.bg",
        facts("low", 45_000, "metals", "Ruse", 3)),
    Row("KA-035", "bg", "„Витоша Фарма“ ООД", "regular", "2023-06-19", 650, "vitosha-pharma.bg",
        facts("low", 35_000, "pharma", "Sofia", 4)),
    Row("KA-036", "bg", "„Варна Марин Сървисиз“ ЕООД", "vip", "2021-05-24", 2_700, "varna-marine.bg",
        facts("medium", 220_000, "maritime", "Varna", 11)),
    # UK and international: James Whitfield ---------------------------------------------------
    Row("KA-037", "en", "Harrowgate Retail Group Ltd", "strategic", "2018-02-05", 25_000, "harrowgate-retail.co.uk",
        facts("high", 2_800_000, "retail", "England", 130, "media_active", "strategic_list")),
    Row("KA-038", "en", "Northwind Freight Inc.", "key", "2021-08-09", 8_800, "northwind-freight.com",
        facts("medium", 950_000, "logistics", "North America", 42, "new_territory", "uses_competitor", "competitor_unsatisfied"), "USD"),
    Row("KA-039", "en", "Albion Precision Engineering Ltd", "key", "2020-10-19", 8_300, "albion-precision.co.uk",
        facts("medium", 800_000, "engineering", "Midlands", 22, "new_segment")),
    Row("KA-040", "en", "Kestrel Media Ltd", "regular", "2023-04-03", 4_800, "kestrel-media.co.uk",
        facts("high", 650_000, "media", "London", 18, "new_segment", "media_active")),
    Row("KA-041", "en", "Lindqvist & Moreau B.V.", "vip", "2022-03-21", 2_600, "lindqvist-moreau.nl",
        facts("medium", 210_000, "wholesale", "Benelux", 10), "EUR"),
    Row("KA-042", "en", "Thornbury Foods Ltd", "vip", "2021-10-04", 2_500, "thornbury-foods.co.uk",
        facts("medium", 160_000, "food", "South West England", 9)),
    Row("KA-043", "en", "Blue Harbour Analytics LLC", None, "2024-04-08", 1_200, "blueharbour.io",
        facts("low", 100_000, "analytics", "North America", 6, "new_segment", "new_territory"), "USD"),
    Row("KA-044", "en", "Greenway Clinics Ltd", "key", "2021-02-22", 7_600, "greenway-clinics.co.uk",
        facts("medium", 700_000, "healthcare", "Scotland", 26, "new_territory", "uses_competitor", "competitor_unsatisfied")),
    Row("KA-045", "en", "Oakridge Building Supplies Ltd", "regular", "2020-07-13", 1_800, "oakridge-supplies.co.uk",
        facts("low", 90_000, "construction supplies", "North West England", 7)),
)
# fmt: on

RECLASSIFICATION = {
    "recorded_below_criteria": ["KA-008", "KA-017", "KA-040"],
    "recorded_above_criteria": ["KA-012", "KA-018"],
}
"""Accounts whose recorded tier disagrees with their facts and purchases, on purpose."""

# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------


def day_of(value: str | date) -> date:
    """*value* as a date (ISO strings are accepted)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def weekday_on_or_before(day: date) -> date:
    """*day*, or the Friday before it when it falls on a weekend."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def back_schedule(end: date, start: date, every: int) -> list[date]:
    """Weekdays from *end* back to *start*, *every* days apart (a weekend moves to Friday)."""
    days: set[date] = set()
    current = end
    while current >= start:
        days.add(weekday_on_or_before(current))
        current -= timedelta(days=every)
    return sorted(d for d in days if d >= start)


def months(start: date, end: date) -> Iterable[tuple[int, int]]:
    """(year, month) from *start*'s month to *end*'s month."""
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)  # noqa: PLR2004


def first_weekday(year: int, month: int) -> date:
    """The first Monday-to-Friday day of a month."""
    day = date(year, month, 1)
    while day.weekday() > 4:  # noqa: PLR2004 - Friday is weekday 4
        day += timedelta(days=1)
    return day


# ---------------------------------------------------------------------------
# Building one client file
# ---------------------------------------------------------------------------


@dataclass
class Service:
    """The baseline settings of one account; scenarios tweak them."""

    goal: bool
    reported: bool
    newsletters: bool
    profile: str = "complete"
    contact_until: date | None = None
    future_talk: bool = True
    surveys: bool = True
    sales: str = "steady"
    sales_until: date | None = None
    _tweaked: dict[str, Any] = field(default_factory=dict, repr=False)

    def tweak(self, name: str, value: Any) -> None:
        """Set baseline setting *name*; two scenarios may not want different values."""
        if name.startswith("_") or not hasattr(self, name):
            raise AttributeError(f"no baseline setting {name!r}")
        if name in {"contact_until", "sales_until"}:
            value = day_of(value)
        if name in self._tweaked and self._tweaked[name] != value:
            raise ValueError(f"conflicting tweaks of {name}: {self._tweaked[name]!r} and {value!r}")
        self._tweaked[name] = value
        setattr(self, name, value)


E = TypeVar("E", bound=Event)


class FileBuilder:
    """Collects one account's events and transactions, then makes its client file."""

    def __init__(self, row: Row, index: int, first_person: int) -> None:
        self.row = row
        self.index = index
        self.first_person = first_person
        self.market = MARKETS[row.market]
        self.zone = ZoneInfo(self.market.zone)
        self.cadence = CADENCES[row.tier or "regular"]
        key = row.tier in KEY_TIERS
        self.service = Service(goal=key, reported=key, newsletters=self.cadence.newsletters)
        self.rng = random.Random(row.id)
        self.events: list[Event] = []
        self.transactions: list[Transaction] = []
        self._ids: set[str] = set()
        self._shown: dict[int, list[str]] = {}

    @property
    def owner(self) -> str:
        return self.market.owner

    @property
    def language(self) -> str:
        return self.market.language

    # Low-level --------------------------------------------------------------------

    def at(self, day: str | date, clock: str = "10:00") -> datetime:
        """A local time of the account's market."""
        return datetime.combine(day_of(day), time.fromisoformat(clock), tzinfo=self.zone)

    def add(self, prefix: str, cls: type[Event], moment: datetime, **fields: Any) -> str:
        """Add an event with a readable id (``prefix-YYYY-MM-DD``) and return the id."""
        base = f"{prefix}-{moment.date().isoformat()}"
        event_id, n = base, 2
        while event_id in self._ids:
            event_id, n = f"{base}-{n}", n + 1
        self._ids.add(event_id)
        fields.setdefault("by", self.owner)
        self.events.append(cls(id=event_id, at=moment, **fields))
        if moment > EXPORTED_AT:
            raise ValueError(f"{self.row.id} {event_id} is after the export")
        return event_id

    def interaction(
        self,
        moment: datetime,
        channel: str,
        topics: Sequence[str],
        summary: str,
        *,
        contact: str | None = "c1",
        **fields: Any,
    ) -> str:
        prefix = INTERACTION_PREFIX[channel]
        if fields.get("personal") is False:  # a newsletter, or a template where a person was due
            prefix = "news" if tuple(topics) == ("update",) else "tmpl"
        return self.add(
            prefix,
            Interaction,
            moment,
            channel=channel,
            topics=tuple(topics),
            summary=summary,
            contact_id=contact,
            **fields,
        )

    def of_type(self, cls: type[E]) -> list[E]:
        return sorted((e for e in self.events if isinstance(e, cls)), key=lambda e: e.at)

    def personal_contacts(self) -> list[Interaction]:
        return [e for e in self.of_type(Interaction) if e.personal]

    def run(self, show: Show) -> list[str]:
        """Add what *show* shows (once per account) and return the event ids."""
        if id(show) not in self._shown:
            self._shown[id(show)] = show.fn(self) if show.fn else []
        return self._shown[id(show)]

    # Profile ----------------------------------------------------------------------

    def account(self) -> Account:
        market, complete = self.market, self.service.profile == "complete"
        contacts = []
        for n in range(self.cadence.contacts):
            person = self.first_person + n
            name, handle = market.people[person]
            channel = CONTACT_CHANNELS[person % len(CONTACT_CHANNELS)]
            phone = f"{market.phone_prefix}{self.rng.randrange(100, 999)} {self.rng.randrange(1000, 9999)}"
            contacts.append(
                Contact(
                    id=f"c{n + 1}",
                    name=name,
                    position=market.positions[person % len(market.positions)] if complete else None,
                    channel=channel if complete else None,
                    language="en" if name.isascii() else market.language,
                    email=f"{handle}@{self.row.domain}",
                    phone=phone if complete and channel in {"call", "message"} else None,
                )
            )
        notes = []
        if complete:
            for n, contact in enumerate(contacts[:2]):
                topic, text = market.notes[(self.first_person + n) % len(market.notes)]
                notes.append(
                    PersonalNote(
                        text=text.format(name=contact.name), topic=topic, contact_id=contact.id
                    )
                )

        def pick(pool: Sequence[str], count: int) -> tuple[str, ...]:
            return tuple(pool[(self.index + n) % len(pool)] for n in range(count))

        return Account(
            id=self.row.id,
            name=self.row.name,
            owner=self.owner,
            tier=self.row.tier,
            client_since=day_of(self.row.since),
            facts=self.row.facts,
            contacts=tuple(contacts),
            needs=pick(market.needs, 3) if complete else (),
            preferences=pick(market.preferences, 2) if complete else (),
            personal_notes=tuple(notes),
        )

    def client_file(self) -> ClientFile:
        return ClientFile(
            account=self.account(),
            transactions=tuple(self.transactions),
            timeline=Timeline(tuple(self.events)),
        )

    # Baseline ---------------------------------------------------------------------

    def baseline(self) -> None:
        """Good service for the tier, as far as the tweaks allow."""
        self._contacts_and_goal()
        self._surveys()
        self._requests()
        self._promises()
        self._newsletters()
        self._purchases()

    def _last_day(self, days_before_export: int) -> date:
        end = EXPORT_DAY - timedelta(days=days_before_export)
        until = self.service.contact_until
        return min(end, until) if until else end

    def _contacts_and_goal(self) -> None:
        cadence, phrases = self.cadence, self.market.phrases
        days = back_schedule(
            self._last_day(1 + self.rng.randrange(3)), WINDOW_START, cadence.contact_every
        )
        slots = []
        last_talk = {
            "thanks": WINDOW_START - timedelta(days=cadence.future_every),
            "future_plans": WINDOW_START - timedelta(days=cadence.future_every // 2),
        }
        for n, day in enumerate(days):
            topics = []
            if self.service.future_talk:
                for topic, last in last_talk.items():
                    if (day - last).days >= cadence.future_every:
                        topics.append(topic)
                        last_talk[topic] = day
            clock = f"{10 + self.rng.randrange(7):02d}:{self.rng.choice(('00', '30'))}"
            slots.append(
                {
                    "moment": self.at(day, clock),
                    "channel": cadence.channels[n % len(cadence.channels)],
                    "contact": f"c{n % cadence.contacts + 1}",
                    "topics": topics,
                    "client": n % 5 == 4,  # noqa: PLR2004 - every fifth contact is the client's
                }
            )
        if self.service.goal and len(slots) > 1:
            self._goal(slots)
        for slot in slots:
            topics = slot["topics"] or ["update"]
            self.interaction(
                slot["moment"],
                slot["channel"],
                topics,
                "; ".join(phrases[t] for t in topics),
                contact=slot["contact"],
                initiated_by="client" if slot["client"] else "us",
            )

    def _goal(self, slots: list[dict[str, Any]]) -> None:
        market, every = self.market, self.cadence.goal_every
        start = slots[1]["moment"] + timedelta(hours=1)
        documents = ()
        if self.row.tier == "strategic":
            documents = (
                Document(
                    name=market.plan_document,
                    uri=f"https://crm.example.com/files/{self.row.id.lower()}/success-plan-2026.pdf",
                    media_type="application/pdf",
                ),
            )
        goal = self.add(
            "goal",
            Goal,
            start,
            title=market.goals[self.index % len(market.goals)],
            client_participants=("c1", "c2"),
            target=self.at(GOAL_TARGET, "18:00"),
            documents=documents,
        )
        targets = []
        target = start.date() + timedelta(days=every)
        while target < EXPORT_DAY:
            targets.append(target)
            target += timedelta(days=every)
        for n, target in enumerate(targets, start=1):
            slot = next(
                (s for s in slots if 0 <= (s["moment"].date() - target).days <= 4),  # noqa: PLR2004
                None,
            )
            if slot:
                slot["topics"].append("goal_review")
                moment = slot["moment"] + timedelta(hours=1)
            else:
                moment = self.at(weekday_on_or_before(target), "11:00")
            self.add(
                "progress",
                GoalProgress,
                moment,
                goal_id=goal,
                progress=round(n / (len(targets) + 2), 2),
                note=market.phrases["progress"],
            )

    def _surveys(self) -> None:
        if not self.service.surveys:
            return
        base = 4.3 + self.rng.randrange(5) / 10
        end = self._last_day(20 + self.rng.randrange(9))

        def score() -> float:
            return round(min(5.0, base + self.rng.choice((-0.1, 0.0, 0.1))), 1)

        for day in back_schedule(end, SURVEY_HISTORY_START, self.cadence.survey_every):
            self.add(
                "survey",
                SurveyResponse,
                self.at(day, "11:30"),
                product_quality=score(),
                service_attitude=score(),
                resolution_efficiency=score(),
                nps=self.rng.choice((8, 9, 9, 10)),
                contact_id="c1",
            )

    def _requests(self) -> None:
        every = self.cadence.request_every
        if every is None:
            return
        pool = self.market.requests
        days = back_schedule(self._last_day(9 + self.rng.randrange(6)), WINDOW_START, every)
        for n, day in enumerate(days):
            asked = self.at(day, f"10:{self.rng.randrange(0, 50):02d}")
            request = self.add(
                "req",
                Request,
                asked,
                subject=pool[(self.index + n) % len(pool)],
                channel=("email", "call")[n % 2],
                contact_id="c2",
                by=None,
            )
            self.add(
                "ans",
                RequestAnswered,
                asked + timedelta(minutes=self.rng.randrange(55, 110)),
                request_id=request,
                summary=self.market.phrases["answer"],
            )

    def _promises(self) -> None:
        every = self.cadence.promise_every
        if every is None:
            return
        pool = self.market.promises
        days = back_schedule(self._last_day(14 + self.rng.randrange(5)), WINDOW_START, every)
        for n, day in enumerate(days):
            promise = self.add(
                "promise",
                Promise,
                self.at(day, "15:00"),
                what=pool[(self.index + n) % len(pool)],
                due=self.at(day + timedelta(days=7), "18:00"),
                contact_id="c1",
            )
            kept_day = weekday_on_or_before(day + timedelta(days=5))
            self.add("kept", PromiseKept, self.at(kept_day, "12:00"), promise_id=promise)

    def _newsletters(self) -> None:
        if not self.service.newsletters:
            return
        for year, month in months(WINDOW_START, EXPORT_DAY):
            self.interaction(
                self.at(first_weekday(year, month), "09:30"),
                "email",
                ("update",),
                self.market.phrases["newsletter"],
                contact=None,
                personal=False,
            )

    def _purchases(self) -> None:
        churning = self.service.sales == "churn"
        every = None if churning else self.cadence.purchase_every
        start = max(day_of(self.row.since), HISTORY_START)
        if every is None:
            day_of_month = 5 + self.rng.randrange(20)
            days = [date(y, m, day_of_month) for y, m in months(start, EXPORT_DAY)]
            days = [d for d in days if d >= start]
        else:
            days = [
                start + timedelta(days=n * every)
                for n in range((EXPORT_DAY - start).days // every + 1)
            ]
        per_purchase = self.row.monthly_eur * (every or 30) / 30
        products = self.market.products
        for day in (weekday_on_or_before(d) for d in days):
            factor = self._sales_factor(day)
            if not factor or day >= EXPORT_DAY:
                continue
            currency = self.currency(day)
            value = per_purchase * factor * self.rng.uniform(0.9, 1.1) * RATES[currency]
            self.transactions.append(
                Transaction(
                    id=f"T-{day:%Y%m%d}",
                    at=self.at(day, "12:00"),
                    product=products[self.rng.randrange(len(products))],
                    amount=Decimal(round(value / 10) * 10).quantize(Decimal("0.01")),
                    currency=currency,
                )
            )

    def _sales_factor(self, day: date) -> float:
        sales, until = self.service.sales, self.service.sales_until
        if sales == "growing":
            return 1 + 0.03 * ((day.year - HISTORY_START.year) * 12 + day.month - 1)
        if sales == "churn":
            if until and day > until:
                return 0.0
            if day.year < EURO_DAY.year:
                return 1.0
            # The year of the slide: every other month, ever smaller orders.
            return 0.0 if day.month % 2 == 0 else 0.75 - 0.1 * (day.month // 2)
        return 1.0

    def currency(self, day: date) -> str:
        """The account's currency on *day* (Bulgarian invoices were in BGN before the euro)."""
        if self.row.market == "bg" and day < EURO_DAY:
            return "BGN"
        return self.row.currency or self.market.currency


# ---------------------------------------------------------------------------
# What a scenario does to an account: tweaks to the baseline, events it adds
# ---------------------------------------------------------------------------

Shower = Callable[[FileBuilder], list[str]]


@dataclass(frozen=True, eq=False)
class Show:
    """What shows a situation on one account.

    Attributes:
        fn: adds events after the baseline and returns the ids that show the situation.
        tweaks: baseline settings to change first (see :class:`Service`).
    """

    fn: Shower | None = None
    tweaks: Mapping[str, Any] = field(default_factory=dict)


BASELINE = Show()
"""The baseline alone shows it (a complete profile, weekly reports...)."""


def combine(*shows: Show) -> Show:
    """Several shows on one account; each still runs at most once."""
    tweaks: dict[str, Any] = {}
    for show in shows:
        tweaks.update(show.tweaks)
    return Show(lambda b: [i for s in shows for i in b.run(s)], tweaks)


def tweak(**tweaks: Any) -> Show:
    return Show(tweaks=tweaks)


def query(select: Callable[[FileBuilder], Iterable[Event]]) -> Show:
    """Shows what the baseline already did: the ids of the events *select* picks."""
    return Show(lambda b: [e.id for e in select(b)])


def touch(
    day: str,
    clock: str,
    channel: str,
    topics: Sequence[str],
    summary: str,
    *,
    personal: bool = True,
    contact: str | None = "c1",
    by: str | None = None,
    documents: Sequence[Document] = (),
) -> Show:
    """One interaction."""

    def show(b: FileBuilder) -> list[str]:
        extra: dict[str, Any] = {"personal": personal, "documents": tuple(documents)}
        if by:
            extra["by"] = by
        return [b.interaction(b.at(day, clock), channel, topics, summary, contact=contact, **extra)]

    return Show(show)


def declined(day: str, subject: str, answer: str, alternative: str | None) -> Show:
    """A request answered "no" within 90 minutes, with or without an alternative."""

    def show(b: FileBuilder) -> list[str]:
        request = b.add(
            "req", Request, b.at(day, "10:20"), subject=subject, channel="email", contact_id="c1"
        )
        answered = b.add(
            "ans",
            RequestAnswered,
            b.at(day, "11:50"),
            request_id=request,
            declined=True,
            alternative=alternative,
            summary=answer,
        )
        return [request, answered]

    return Show(show)


def unanswered(day: str, clock: str, subject: str) -> Show:
    """A request with no answer and no committed answer date."""

    def show(b: FileBuilder) -> list[str]:
        return [
            b.add(
                "req", Request, b.at(day, clock), subject=subject, channel="email", contact_id="c1"
            )
        ]

    return Show(show)


def answer_promised(
    day: str, subject: str, answer_by: str, answered: tuple[str, str] | None = None
) -> Show:
    """A request given an answer date at once (18:00 on *answer_by*), answered or not."""

    def show(b: FileBuilder) -> list[str]:
        request = b.add(
            "req", Request, b.at(day, "10:00"), subject=subject, channel="email", contact_id="c1"
        )
        ids = [
            request,
            b.add(
                "ap",
                AnswerPromised,
                b.at(day, "11:15"),
                request_id=request,
                answer_by=b.at(answer_by, "18:00"),
            ),
        ]
        if answered:
            ids.append(
                b.add(
                    "ans",
                    RequestAnswered,
                    b.at(*answered),
                    request_id=request,
                    summary=b.market.phrases["answer"],
                )
            )
        return ids

    return Show(show)


def waited(
    day: str, subject: str, wait: tuple[tuple[str, str], tuple[str, str]], reason: str
) -> Show:
    """An open request whose clock paused while we waited on the client."""

    def show(b: FileBuilder) -> list[str]:
        request = b.add(
            "req", Request, b.at(day, "10:00"), subject=subject, channel="email", contact_id="c1"
        )
        started = b.add("wait", WaitStarted, b.at(*wait[0]), reason=reason, about=request)
        ended = b.add("waitend", WaitEnded, b.at(*wait[1]), wait_id=started)
        return [request, started, ended]

    return Show(show)


class Reneg(NamedTuple):
    """A move of a promise's date and what the client was told."""

    day: str
    new_due: str | None
    explanation: str | None
    apology: bool
    written: bool


def promise(
    day: str,
    what: str,
    due: str,
    renegotiations: Sequence[Reneg] = (),
    *,
    kept: str | None = None,
    tell: str | None = None,
    tell_summary: str | None = None,
) -> Show:
    """A promise due at 18:00 on *due*; moved by *renegotiations*; kept at noon on *kept*.

    With *tell* (``call`` or ``email``), each move also comes with that interaction.
    """

    def show(b: FileBuilder) -> list[str]:
        opened = b.add(
            "promise",
            Promise,
            b.at(day, "15:00"),
            what=what,
            due=b.at(due, "18:00"),
            contact_id="c1",
        )
        ids = [opened]
        for move in renegotiations:
            if tell:
                ids.append(
                    b.interaction(b.at(move.day, "10:30"), tell, ("problem",), tell_summary or what)
                )
            ids.append(
                b.add(
                    "reneg",
                    PromiseRenegotiated,
                    b.at(move.day, "11:00"),
                    promise_id=opened,
                    new_due=b.at(move.new_due, "18:00") if move.new_due else None,
                    explanation=move.explanation,
                    apology=move.apology,
                    written=move.written,
                )
            )
        if kept:
            ids.append(b.add("kept", PromiseKept, b.at(kept, "12:00"), promise_id=opened))
        return ids

    return Show(show)


def situation(
    day: str,
    description: str,
    response: tuple[str, str, str] | None = None,
    *,
    reusable: bool = True,
) -> Show:
    """A non-standard situation with a playbook (day, clock, playbook), or with none."""

    def show(b: FileBuilder) -> list[str]:
        opened = b.add("situation", Situation, b.at(day, "09:40"), description=description)
        if response is None:
            return [opened]
        answer_day, clock, playbook = response
        return [
            opened,
            b.add(
                "playbook",
                SituationResponse,
                b.at(answer_day, clock),
                situation_id=opened,
                playbook=playbook,
                reusable=reusable,
            ),
        ]

    return Show(show)


class Told(NamedTuple):
    """How the client heard of an adverse change."""

    day: str
    clock: str
    alternatives: tuple[str, ...]
    written: bool


def adverse(day: str, change: str, description: str, told: Told | None) -> Show:
    """An adverse change official at 10:00 on *day*, and how (if) the client was told."""

    def show(b: FileBuilder) -> list[str]:
        opened = b.add(
            "change", AdverseChange, b.at(day, "10:00"), change=change, description=description
        )
        if told is None:
            return [opened]
        return [
            opened,
            b.add(
                "told",
                ChangeCommunicated,
                b.at(told.day, told.clock),
                change_id=opened,
                alternatives=told.alternatives,
                written=told.written,
                contact_id="c1",
            ),
        ]

    return Show(show)


def last_contact() -> Show:
    """The last personal contact the baseline made."""
    return query(lambda b: b.personal_contacts()[-1:])


def silent_since(day: str) -> Show:
    """No personal contact after *day*; only templated newsletters go out."""
    return combine(tweak(contact_until=day, newsletters=True), last_contact())


def goal(
    day: str, title: str, participants: Sequence[str], progress: Sequence[tuple[str, float]]
) -> Show:
    """A joint goal (instead of the baseline's) with the given progress entries."""

    def show(b: FileBuilder) -> list[str]:
        opened = b.add(
            "goal",
            Goal,
            b.at(day, "12:00"),
            title=title,
            client_participants=tuple(participants),
            target=b.at(GOAL_TARGET, "18:00"),
        )
        return [opened] + [
            b.add(
                "progress",
                GoalProgress,
                b.at(when, "12:30"),
                goal_id=opened,
                progress=value,
                note=b.market.phrases["progress"],
            )
            for when, value in progress
        ]

    return Show(show, {"goal": False})


def surveys(*answers: tuple[str, float]) -> Show:
    """Survey responses (instead of the baseline's) with these mean scores."""

    def show(b: FileBuilder) -> list[str]:
        return [
            b.add(
                "survey",
                SurveyResponse,
                b.at(day, "11:30"),
                product_quality=round(min(5.0, score + 0.1), 1),
                service_attitude=score,
                resolution_efficiency=round(score - 0.1, 1),
                nps=round(score * 2),
                contact_id="c1",
            )
            for day, score in answers
        ]

    return Show(show, {"surveys": False})


def complaint(
    day: str,
    clock: str,
    subject: str,
    steps: Sequence[tuple[str, str, str, str]],
    call: tuple[str, str, str] | None = None,
) -> Show:
    """A complaint and the workflow steps (step, day, clock, owner) it reached.

    *call* (day, clock, summary) adds the call in which we talked it through.
    """

    def show(b: FileBuilder) -> list[str]:
        opened = b.add(
            "complaint", Complaint, b.at(day, clock), subject=subject, contact_id="c1", by=None
        )
        ids = [opened]
        for step, when, at_clock, owner in steps:
            ids.append(
                b.add(
                    f"step-{step.replace('_', '-')}",
                    ComplaintStep,
                    b.at(when, at_clock),
                    complaint_id=opened,
                    step=step,
                    owner=owner,
                    by=owner,
                )
            )
        if call:
            ids.append(
                b.interaction(b.at(call[0], call[1]), "call", ("complaint", "problem"), call[2])
            )
        return ids

    return Show(show)


def decision(day: str, finding: str, action: str, reason: str, until: str | None = None) -> Show:
    """A manager's decision on a finding (``principle.situation``)."""

    def show(b: FileBuilder) -> list[str]:
        return [
            b.add(
                "decision",
                Decision,
                b.at(day, "17:00"),
                finding=finding,
                action=action,
                until=b.at(until, "09:00") if until else None,
                reason=reason,
            )
        ]

    return Show(show)


def credit_note(day: str, product: str, amount: str) -> Show:
    """A refund (a negative transaction); no event shows it."""

    def show(b: FileBuilder) -> list[str]:
        b.transactions.append(
            Transaction(
                id=f"T-{day_of(day):%Y%m%d}-CN",
                at=b.at(day, "12:00"),
                product=product,
                amount=Decimal(amount),
                currency=b.currency(day_of(day)),
            )
        )
        return []

    return Show(show)


# ---------------------------------------------------------------------------
# The scenarios: which account shows which situation
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A situation of a principle, with the accounts that break and honour it.

    For a ``staff`` scenario, *breaks* and *honours* name staff ids and
    *evidence* holds the account events that show those people at work.
    """

    principle: str
    situation: str
    description: str
    breaks: Mapping[str, Show]
    honours: Mapping[str, Show]
    subject: str = "account"
    evidence: Mapping[str, Show] = field(default_factory=dict)
    code: str = ""
    """The finding code a review gives the breakers, when it is not the situation's id."""


# Shows shared by several scenarios (each runs once per account).


def _fast_answers(b: FileBuilder) -> list[Event]:
    """The last two requests answered (not declined) within two hours, with their answers."""
    states = [
        s
        for s in Timeline(tuple(b.events)).requests()
        if s.answer and not s.answer.declined and s.answer.at - s.request.at <= timedelta(hours=2)
    ]
    return [e for s in states[-2:] for e in (s.request, s.answer) if e]


def _kept_on_time(b: FileBuilder) -> list[Event]:
    """The last two promises kept by their original due date, with their deliveries."""
    states = [
        s
        for s in Timeline(tuple(b.events)).promises()
        if s.kept and not s.renegotiations and s.kept.at <= s.promise.due
    ]
    return [e for s in states[-2:] for e in (s.promise, s.kept) if e]


FAST_ANSWERS = query(_fast_answers)
KEPT_ON_TIME = query(_kept_on_time)
REGULAR_CONTACT = query(lambda b: b.personal_contacts()[-3:])
FUTURE_TALKS = query(
    lambda b: [
        [e for e in b.of_type(Interaction) if topic in e.topics][-1]
        for topic in ("thanks", "future_plans")
    ]
)
JOINT_GOAL = query(lambda b: b.of_type(Goal) + b.of_type(GoalProgress)[-1:])
REGULAR_SURVEYS = query(lambda b: b.of_type(SurveyResponse)[-2:])
GROWING = tweak(sales="growing")
NO_FUTURE_TALK = tweak(future_talk=False)
THIN_PROFILE = tweak(profile="thin")
UNREPORTED = tweak(reported=False)

PRICE_RISE = {
    "zh": "自 2027 年 1 月 1 日起价格上调 6%",
    "ru": "Повышение цен на 6% с 1 января 2027 года",
    "bg": "Увеличение на цените с 6% от 1 януари 2027 г.",
    "en": "Prices rise by 6% from 1 January 2027",
}
PRICE_ALTERNATIVES = {
    "zh": ("在 2026 年 12 月 31 日前续签三年合同，锁定现行价格", "改用标准版套餐"),
    "ru": (
        "Продлить договор на три года до 31 декабря по текущим ценам",
        "Перейти на тариф «Стандарт»",
    ),
    "bg": (
        "Подновяване за три години до 31 декември на сегашните цени",
        "Преминаване към план „Стандарт“",
    ),
    "en": (
        "Renew for three years before 31 December at today's prices",
        "Move to the Standard plan",
    ),
}


def price_rise(
    language: str, told_day: str | None, clock: str = "16:00", *, alternatives: bool = True
) -> Show:
    """The company-wide price rise of 2026-09-01, told in writing on *told_day* (or never)."""
    told = None
    if told_day:
        told = Told(told_day, clock, PRICE_ALTERNATIVES[language] if alternatives else (), True)
    return adverse("2026-09-01", "price_change", PRICE_RISE[language], told)


BAD_NEWS_TOLD_WELL = {
    "KA-001": price_rise("zh", "2026-09-01"),
    "KA-010": price_rise("ru", "2026-09-02", "10:30"),
    "KA-028": price_rise("bg", "2026-09-01"),
    "KA-037": price_rise("en", "2026-09-02", "09:45"),
}

KA001_SITUATION = situation(
    "2026-07-20",
    "台风导致客户华南仓库停电，需要临时远程运维。",
    (
        "2026-07-20",
        "16:30",
        "启用远程运维预案：切换到备用云节点，每两小时向客户 IT 经理通报一次，恢复后出具事件报告。",
    ),
)
KA037_SITUATION = situation(
    "2026-06-16",
    "Client asked to run the Black Friday pilot in three stores before the contract amendment is signed.",
    (
        "2026-06-17",
        "11:00",
        "Pilot under a one-page letter of intent with a capped fee; legal template saved to the knowledge base.",
    ),
)
KA001_COMPLAINT = complaint(
    "2026-06-22",
    "10:00",
    "系统升级后报表导出失败",
    [
        ("accepted", "2026-06-22", "10:40", "petrenko"),
        ("investigating", "2026-06-22", "14:00", "li-na"),
        ("resolved", "2026-06-23", "16:00", "li-na"),
        ("feedback_given", "2026-06-24", "10:00", "wang-lei"),
    ],
    call=("2026-06-22", "11:00", "致电张伟说明原因：升级脚本遗漏了导出模板，今天内修复。"),
)
KA001_RENEGOTIATED = promise(
    "2026-08-03",
    "交付 API 网关升级",
    "2026-08-28",
    [Reneg("2026-08-24", "2026-09-11", "第三方安全认证延迟两周", apology=True, written=True)],
    kept="2026-09-10",
    tell="call",
    tell_summary="致电说明 API 网关升级因安全认证延迟，致歉并确认新日期 9 月 11 日，随后发邮件确认。",
)
KA019_RENEGOTIATED = promise(
    "2026-08-03",
    "Запуск модуля прогнозування врожаю",
    "2026-08-28",
    [
        Reneg(
            "2026-08-25",
            "2026-09-11",
            "Постачальник погодних даних затримав ключі доступу до API",
            apology=True,
            written=True,
        )
    ],
    kept="2026-09-10",
    tell="call",
    tell_summary="Зателефонували, пояснили затримку, вибачилися, новий строк — 11 вересня; підтвердили листом.",
)
KA012_RENEGOTIATED = promise(
    "2026-09-01",
    "Поставка дополнительных серверных лицензий",
    "2026-09-25",
    [Reneg("2026-09-24", "2026-10-16", None, apology=False, written=False)],
    kept="2026-10-15",
)
NORTHWIND_WAIT = waited(
    "2026-10-19",
    "Custom customs-declaration export for the Rotterdam hub",
    (("2026-10-20", "09:30"), ("2026-10-27", "16:00")),
    "Waiting for sample declaration files from the client",
)
PLOVDIV_SURVEYS = surveys(("2025-10-14", 4.4), ("2026-05-19", 3.2))
OAKRIDGE_COMPLAINT = complaint(
    "2026-08-20",
    "09:15",
    "Order confirmations keep arriving days late",
    [
        ("accepted", "2026-08-20", "11:00", "petrenko"),
        ("investigating", "2026-08-24", "10:00", "whitfield"),
    ],
)

COMPLAINT_HANDLED_WELL = {
    "KA-001": KA001_COMPLAINT,
    "KA-010": complaint(
        "2026-07-15",
        "09:30",
        "Ошибка в расчёте скидок в счетах за июнь",
        [
            ("accepted", "2026-07-15", "10:15", "ivanova"),
            ("investigating", "2026-07-15", "13:00", "ivanova"),
            ("resolved", "2026-07-16", "17:00", "ivanova"),
            ("feedback_given", "2026-07-17", "11:00", "sokolova"),
        ],
        call=(
            "2026-07-15",
            "10:30",
            "Созвонились с клиентом: подтвердили ошибку, обещали исправленные счета завтра.",
        ),
    ),
    "KA-028": complaint(
        "2026-09-08",
        "09:00",
        "Грешни маршрути в мобилното приложение след обновяването",
        [
            ("accepted", "2026-09-08", "09:45", "petrenko"),
            ("investigating", "2026-09-08", "12:00", "li-na"),
            ("resolved", "2026-09-09", "18:00", "li-na"),
            ("feedback_given", "2026-09-10", "10:30", "georgieva"),
        ],
        call=(
            "2026-09-08",
            "10:00",
            "Обадихме се: причината е в картите след обновяването, поправката е до утре.",
        ),
    ),
}

SCENARIOS: tuple[Scenario, ...] = (
    # Know the client ---------------------------------------------------------------
    Scenario(
        "know_the_client",
        "profile_incomplete",
        "The client file has contacts without roles or preferred channels, and no needs, preferences or personal notes.",
        breaks={"KA-006": THIN_PROFILE, "KA-024": THIN_PROFILE, "KA-043": THIN_PROFILE},
        honours=dict.fromkeys(("KA-001", "KA-010", "KA-019", "KA-028", "KA-037"), BASELINE),
    ),
    # Care ----------------------------------------------------------------------------
    Scenario(
        "care",
        "no_without_alternative",
        "A request of a key client was declined and nothing was offered instead.",
        breaks={
            "KA-014": declined(
                "2026-10-13",
                "Отсрочка платежа 90 дней по договору поставки",
                "В отсрочке отказано.",
                None,
            )
        },
        honours={
            "KA-001": declined(
                "2026-06-10",
                "将 2026 年价格冻结至 2027 年底",
                "无法冻结价格，但提供替代方案。",
                "签订三年合同锁定 2026 年价格，并赠送两次关键用户培训",
            ),
            "KA-019": declined(
                "2026-07-14",
                "Безкоштовне розширення до 500 користувачів",
                "Безкоштовно розширити не можемо.",
                "Знижка 30% на додаткові ліцензії до кінця року",
            ),
        },
    ),
    Scenario(
        "care",
        "templated_where_personal_due",
        "An order completion or a problem reached the client only as a templated message, not a personal one.",
        breaks={
            "KA-002": combine(
                touch(
                    "2026-09-14",
                    "09:05",
                    "message",
                    ("problem",),
                    "系统通知：因仓库系统故障，您的配送将延迟。",
                    personal=False,
                    contact=None,
                ),
                touch(
                    "2026-10-28",
                    "09:00",
                    "email",
                    ("order_completed",),
                    "系统自动邮件：订单 SZ-8841 已完成交付。",
                    personal=False,
                    contact=None,
                ),
            ),
            "KA-042": touch(
                "2026-10-05",
                "08:30",
                "email",
                ("problem",),
                "Automated notice: your delivery is delayed by a supplier issue.",
                personal=False,
                contact=None,
            ),
        },
        honours={
            "KA-001": touch(
                "2026-09-15",
                "15:00",
                "call",
                ("order_completed",),
                "致电刘芳：数据分析模块已全部交付，询问使用感受并约定培训时间。",
            ),
            "KA-019": touch(
                "2026-08-20",
                "11:00",
                "visit",
                ("order_completed",),
                "Візит: модуль складського обліку здано, разом перевірили перші звіти.",
            ),
            "KA-037": touch(
                "2026-10-07",
                "14:00",
                "call",
                ("problem",),
                "Called Oliver personally: the till integration outage was ours, fix deployed tonight.",
            ),
        },
    ),
    Scenario(
        "care",
        "key_list_reach",
        "A client-facing billing clerk who deals with key clients cannot see the key-client list "
        "(grant is not client-facing, so the list is not required).",
        subject="staff",
        breaks={"hughes": BASELINE},
        honours={"petrenko": BASELINE, "li-na": BASELINE, "ivanova": BASELINE},
        evidence={
            "KA-038": touch(
                "2026-11-03",
                "15:30",
                "call",
                ("update",),
                "Billing call about a USD payment reference on invoice NF-2291.",
                contact="c2",
                by="hughes",
            ),
            "KA-039": touch(
                "2026-10-14",
                "11:00",
                "email",
                ("update",),
                "Billing: sent the corrected VAT invoice.",
                contact="c2",
                by="hughes",
            ),
        },
    ),
    # Responsiveness -----------------------------------------------------------------------
    Scenario(
        "responsiveness",
        "request_unanswered",
        "A key client's request has had neither an answer nor a committed answer date for two weeks.",
        breaks={
            "KA-011": unanswered(
                "2026-11-06", "11:20", "Коммерческое предложение на расширение до 250 пользователей"
            ),
            "KA-038": NORTHWIND_WAIT,
        },
        honours=dict.fromkeys(("KA-001", "KA-010", "KA-019", "KA-037"), FAST_ANSWERS),
    ),
    Scenario(
        "responsiveness",
        "answer_date_passed",
        "We committed to an answer date at once, the date passed seven days ago and there is still no answer.",
        breaks={
            "KA-021": answer_promised(
                "2026-10-30", "Розрахунок вартості інтеграції з білінговою системою", "2026-11-13"
            )
        },
        honours={
            "KA-001": answer_promised(
                "2026-10-12", "定制报表方案的报价", "2026-10-16", ("2026-10-15", "11:00")
            ),
            "KA-028": answer_promised(
                "2026-10-05",
                "Оферта за тригодишен договор с отстъпка",
                "2026-10-09",
                ("2026-10-08", "15:10"),
            ),
        },
    ),
    Scenario(
        "responsiveness",
        "wait_discounted",
        "A request's clock pauses while we wait on the client: one is on time once the wait is "
        "discounted, the other is late even so.",
        breaks={"KA-038": NORTHWIND_WAIT},
        honours={
            "KA-031": waited(
                "2026-11-06",
                "План за миграция на данните от старата CRM",
                (("2026-11-06", "11:30"), ("2026-11-20", "16:00")),
                "Чакаме експорта на данните от клиента",
            )
        },
        code="request_unanswered",
    ),
    # Commitment ---------------------------------------------------------------------------
    Scenario(
        "commitment",
        "promise_overdue",
        "A promise is three weeks past its due date, neither kept nor renegotiated.",
        breaks={
            "KA-004": promise("2026-10-09", "提供 ISO 13485 审核所需的系统验证文档", "2026-10-30")
        },
        honours=dict.fromkeys(("KA-001", "KA-010", "KA-028"), KEPT_ON_TIME),
    ),
    Scenario(
        "commitment",
        "renegotiated_without_notice_parts",
        "A promise's date moved without the explanation, apology, new date and written message "
        "the client is owed (KA-039 got no new date, so its old one, now passed, stays in force).",
        breaks={
            "KA-012": KA012_RENEGOTIATED,
            "KA-039": promise(
                "2026-10-01",
                "Deliver the calibrated sensor firmware build",
                "2026-10-23",
                [
                    Reneg(
                        "2026-10-22",
                        None,
                        "Our test rig failed during calibration.",
                        apology=False,
                        written=True,
                    )
                ],
            ),
        },
        honours={"KA-001": KA001_RENEGOTIATED, "KA-019": KA019_RENEGOTIATED},
    ),
    Scenario(
        "commitment",
        "repeated_slips",
        "The same promise slipped three times, each time with a proper renegotiation.",
        breaks={
            "KA-029": promise(
                "2026-07-06",
                "Интеграция с платформата за прецизно земеделие (API за сензорите)",
                "2026-08-14",
                [
                    Reneg(
                        "2026-08-12",
                        "2026-09-18",
                        "Доставчикът на сензорите смени API-то",
                        True,
                        True,
                    ),
                    Reneg(
                        "2026-09-16",
                        "2026-10-23",
                        "Тестовете на полето откриха грешки в данните",
                        True,
                        True,
                    ),
                    Reneg(
                        "2026-10-21",
                        "2026-12-04",
                        "Сертификацията на новата версия се забави",
                        True,
                        True,
                    ),
                ],
                tell="call",
                tell_summary="Обадихме се, обяснихме причината за закъснението, извинихме се и дадохме нов срок.",
            )
        },
        honours=dict.fromkeys(("KA-010", "KA-028", "KA-037"), KEPT_ON_TIME),
    ),
    # Creativity -----------------------------------------------------------------------
    Scenario(
        "creativity",
        "situation_without_playbook",
        "A non-standard situation was recorded but no response or playbook for it.",
        breaks={
            "KA-007": situation(
                "2026-09-22", "客户要求在双十一前把全部门店切换到新的会员积分规则，现有流程不支持。"
            ),
            "KA-016": situation(
                "2026-10-14", "Клиент просит принимать оплату частями в юанях через банк-партнёр."
            ),
        },
        honours={
            "KA-001": KA001_SITUATION,
            "KA-037": KA037_SITUATION,
        },
    ),
    Scenario(
        "creativity",
        "playbook_not_reusable",
        "A non-standard situation got a response, but it never made it into the client's knowledge base.",
        breaks={
            "KA-002": situation(
                "2026-08-11",
                "客户要求在台风停航期间改用铁路发运，并同步调整全部电子运单。",
                ("2026-08-11", "17:20", "临时手工导出运单并按铁路格式重新录入。"),
                reusable=False,
            )
        },
        honours={"KA-001": KA001_SITUATION, "KA-037": KA037_SITUATION},
    ),
    # Don't delay bad news -----------------------------------------------------------------
    Scenario(
        "bad_news_early",
        "bad_news_told_late",
        "A price rise became official on 1 September and the client heard of it 25 days later.",
        breaks={
            "KA-013": combine(
                price_rise("ru", "2026-09-26", "11:00"),
                credit_note(
                    "2026-10-05", "Кредит-нота: возврат за неиспользованные лицензии", "-15000.00"
                ),
            )
        },
        honours=BAD_NEWS_TOLD_WELL,
    ),
    Scenario(
        "bad_news_early",
        "bad_news_not_told",
        "A module the client uses is being discontinued; it became official 50 days ago and the client was never told.",
        breaks={
            "KA-022": adverse(
                "2026-10-01",
                "discontinued",
                "Припинення підтримки модуля «Митний брокер» з 1 січня 2027 року",
                None,
            )
        },
        honours=BAD_NEWS_TOLD_WELL,
    ),
    Scenario(
        "bad_news_early",
        "bad_news_without_alternatives",
        "The price rise was told the next day in writing but with no alternatives.",
        breaks={"KA-041": price_rise("en", "2026-09-02", "10:00", alternatives=False)},
        honours=BAD_NEWS_TOLD_WELL,
    ),
    # Proactive and regular contact -------------------------------------------------------
    Scenario(
        "proactive_contact",
        "silent_past_cadence",
        "A key account has had no personal contact for 71 days; only templated newsletters went out.",
        breaks={"KA-020": silent_since("2026-09-10")},
        honours={
            "KA-001": combine(
                REGULAR_CONTACT,
                touch(
                    "2026-10-13",
                    "14:00",
                    "visit",
                    ("future_plans", "update"),
                    "陈建国总裁拜访华信，与张伟、刘芳讨论 2027 年合作框架。",
                    by="chen",
                    documents=[
                        Document(
                            name="会谈记录 2026-10-13.txt",
                            uri="https://crm.example.com/files/ka-001/transcript-2026-10-13.txt",
                            media_type="text/plain",
                        )
                    ],
                ),
            ),
            **dict.fromkeys(("KA-010", "KA-019", "KA-028", "KA-037"), REGULAR_CONTACT),
        },
    ),
    Scenario(
        "proactive_contact",
        "problem_without_call",
        "A promise slipped and since then the client has had only e-mails: no call or meeting for a month.",
        breaks={
            "KA-033": combine(
                tweak(contact_until="2026-10-20"),
                promise(
                    "2026-10-05",
                    "Пускане на модула за онлайн резервации за сезон 2027",
                    "2026-10-30",
                    [
                        Reneg(
                            "2026-10-27",
                            "2026-12-11",
                            "Платежният доставчик забави сертификацията",
                            True,
                            True,
                        )
                    ],
                    tell="email",
                    tell_summary="Писмо: модулът за резервации закъснява, извинение и нов срок 11 декември.",
                ),
                touch(
                    "2026-11-04",
                    "10:00",
                    "email",
                    ("update",),
                    "Писмо: статус на модула за резервации.",
                ),
                touch(
                    "2026-11-12",
                    "10:00",
                    "email",
                    ("update",),
                    "Писмо: тестовете с платежния доставчик вървят.",
                ),
                touch(
                    "2026-11-18",
                    "16:00",
                    "email",
                    ("update",),
                    "Писмо: седмичен статус, без промяна в срока.",
                ),
            )
        },
        honours={"KA-001": KA001_COMPLAINT, "KA-019": KA019_RENEGOTIATED},
    ),
    # Communicate the future ------------------------------------------------------------
    Scenario(
        "communicate_future",
        "no_future_talk",
        "No thanks and no talk about the client's future plans recorded in the last six months.",
        breaks={"KA-005": NO_FUTURE_TALK, "KA-027": NO_FUTURE_TALK},
        honours=dict.fromkeys(("KA-001", "KA-010", "KA-028"), FUTURE_TALKS),
    ),
    Scenario(
        "communicate_future",
        "no_future_talk_snoozed",
        "As no_future_talk, but the manager snoozed the finding until 2026-12-10 with a reason.",
        breaks={
            "KA-009": combine(
                NO_FUTURE_TALK,
                decision(
                    "2026-11-02",
                    "communicate_future.no_future_talk",
                    "snooze",
                    "客户总经理休假至 12 月初，已约好 12 月 9 日的年度规划会议。",
                    until="2026-12-10",
                ),
            )
        },
        honours={},
        code="no_future_talk",
    ),
    # Joint goals ---------------------------------------------------------------------------
    Scenario(
        "joint_goals",
        "no_joint_goal",
        "A key account has no joint goal at all.",
        breaks={"KA-024": tweak(goal=False)},
        honours=dict.fromkeys(("KA-001", "KA-010", "KA-019", "KA-028", "KA-037"), JOINT_GOAL),
    ),
    Scenario(
        "joint_goals",
        "goal_without_client",
        "A joint goal was set without any of the client's people taking part.",
        breaks={
            "KA-031": goal(
                "2026-05-12",
                "Внедряване на модула за анализи във всичките 4 офиса",
                (),
                [("2026-07-07", 0.3), ("2026-09-08", 0.45), ("2026-11-03", 0.6)],
            )
        },
        honours=dict.fromkeys(("KA-001", "KA-010", "KA-019", "KA-028", "KA-037"), JOINT_GOAL),
    ),
    Scenario(
        "joint_goals",
        "goal_progress_stale",
        "The joint goal's last progress update is nearly five months old.",
        breaks={
            "KA-007": goal(
                "2026-04-15",
                "双十一前会员复购率提升 20%",
                ("c1", "c2"),
                [("2026-05-20", 0.3), ("2026-06-25", 0.4)],
            )
        },
        honours=dict.fromkeys(("KA-001", "KA-010", "KA-019", "KA-028", "KA-037"), JOINT_GOAL),
    ),
    # Honesty -------------------------------------------------------------------------
    Scenario(
        "honesty",
        "date_moved_without_written_notice",
        "A promise's agreed date moved and the client was told only by phone, never in writing.",
        breaks={"KA-012": KA012_RENEGOTIATED},
        honours={"KA-001": KA001_RENEGOTIATED, "KA-019": KA019_RENEGOTIATED},
    ),
    Scenario(
        "honesty",
        "delay_not_in_writing",
        "A delivery delay was told to the client by phone, with an alternative, but never in writing.",
        breaks={
            "KA-036": adverse(
                "2026-10-07",
                "delay",
                "Доставката на новите терминали се отлага с три седмици",
                Told(
                    "2026-10-07",
                    "15:00",
                    ("Временни терминали под наем без допълнително заплащане",),
                    False,
                ),
            ),
        },
        honours={
            "KA-028": adverse(
                "2026-07-13",
                "delay",
                "Пускането на новия модул за маршрути се отлага до 3 август",
                Told(
                    "2026-07-13",
                    "16:00",
                    (
                        "Временно ползване на стария модул с ръчно планиране",
                        "Безплатно обучение за новия модул при пускането",
                    ),
                    True,
                ),
            ),
        },
    ),
    # Satisfaction ---------------------------------------------------------------------
    Scenario(
        "satisfaction",
        "survey_overdue",
        "The last satisfaction survey is more than nine months old, or there never was one "
        "(KA-026's snooze of the finding ended on 2026-09-30).",
        breaks={
            "KA-003": surveys(("2025-08-18", 4.5), ("2026-02-10", 4.4)),
            "KA-026": combine(
                tweak(surveys=False),
                decision(
                    "2026-06-15",
                    "satisfaction.survey_overdue",
                    "snooze",
                    "Клієнт переходить на нову облікову систему; опитування — після запуску.",
                    until="2026-09-30",
                ),
            ),
        },
        honours=dict.fromkeys(("KA-001", "KA-010", "KA-037"), REGULAR_SURVEYS),
    ),
    Scenario(
        "satisfaction",
        "satisfaction_drop",
        "The satisfaction score fell sharply between two surveys (KA-030: 4.6 to 3.0; KA-032: 4.4 to 3.2).",
        breaks={
            "KA-030": surveys(("2026-03-16", 4.6), ("2026-07-14", 4.6), ("2026-10-27", 3.0)),
            "KA-032": PLOVDIV_SURVEYS,
        },
        honours=dict.fromkeys(("KA-001", "KA-010", "KA-037"), REGULAR_SURVEYS),
    ),
    # Complaints -----------------------------------------------------------------------
    Scenario(
        "complaints",
        "complaint_step_overdue",
        "A complaint has been stuck at one workflow step (accepted or investigating) for weeks.",
        breaks={
            "KA-018": complaint(
                "2026-10-19",
                "10:05",
                "Повторные сбои синхронизации склада",
                [("accepted", "2026-10-19", "12:00", "ivanova")],
                call=("2026-10-20", "11:00", "Позвонили, извинились, собрали логи сбоев."),
            ),
            "KA-025": complaint(
                "2026-10-26",
                "09:40",
                "Некоректні залишки після оновлення модуля складу",
                [
                    ("accepted", "2026-10-26", "11:00", "petrenko"),
                    ("investigating", "2026-10-27", "10:00", "petrenko"),
                ],
                call=(
                    "2026-10-26",
                    "12:00",
                    "Зателефонували, перепросили, узгодили доступ до бази.",
                ),
            ),
            "KA-045": OAKRIDGE_COMPLAINT,
        },
        honours=COMPLAINT_HANDLED_WELL,
    ),
    Scenario(
        "complaints",
        "complaint_step_overdue_acknowledged",
        "As complaint_step_overdue, but the manager acknowledged the finding with a reason.",
        breaks={
            "KA-035": combine(
                complaint(
                    "2026-10-26",
                    "10:30",
                    "Грешни партидни номера в отчета за проследимост",
                    [
                        ("accepted", "2026-10-26", "11:30", "petrenko"),
                        ("investigating", "2026-10-27", "09:30", "li-na"),
                    ],
                    call=(
                        "2026-10-26",
                        "14:00",
                        "Обадихме се, извинихме се и поискахме примерни партиди.",
                    ),
                ),
                decision(
                    "2026-11-10",
                    "complaints.complaint_step_overdue",
                    "acknowledge",
                    "Чакаме резултатите от лабораторията на производителя до 27.11.",
                ),
            )
        },
        honours={},
        code="complaint_step_overdue",
    ),
    Scenario(
        "complaints",
        "no_feedback_after_resolution",
        "A complaint was resolved three weeks ago and nobody asked the client how it went.",
        breaks={
            "KA-023": complaint(
                "2026-10-26",
                "10:00",
                "Помилки у звіті про продажі за вересень",
                [
                    ("accepted", "2026-10-26", "12:30", "petrenko"),
                    ("investigating", "2026-10-27", "09:30", "petrenko"),
                    ("resolved", "2026-10-30", "16:00", "petrenko"),
                ],
                call=(
                    "2026-10-26",
                    "13:00",
                    "Зателефонували, вибачилися, пояснили, як виправимо звіт.",
                ),
            )
        },
        honours=COMPLAINT_HANDLED_WELL,
        code="complaint_step_overdue",
    ),
    # Churn early warning ---------------------------------------------------------------
    Scenario(
        "churn_warning",
        "churn_risk",
        "Monthly purchases through 2025 slid to none for months, satisfaction fell, contact went "
        "silent (and at KA-045 a complaint is stuck).",
        breaks={
            "KA-045": combine(
                tweak(sales="churn", sales_until="2026-06-20", contact_until="2026-07-08"),
                surveys(("2025-11-12", 4.3), ("2026-04-15", 3.6), ("2026-09-16", 2.8)),
                OAKRIDGE_COMPLAINT,
                last_contact(),
            ),
            "KA-032": combine(
                tweak(sales="churn", sales_until="2026-03-31", contact_until="2026-06-12"),
                PLOVDIV_SURVEYS,
                last_contact(),
            ),
        },
        honours=dict.fromkeys(("KA-001", "KA-019", "KA-037"), GROWING),
    ),
    # Reporting -------------------------------------------------------------------------
    Scenario(
        "reporting",
        "not_reported",
        "A key account has been left out of every weekly report to its department head.",
        breaks={"KA-044": UNREPORTED},
        honours=dict.fromkeys(
            ("KA-001", "KA-010", "KA-019", "KA-028", "KA-037", "KA-020"), BASELINE
        ),
    ),
)

# ---------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------


def _shows_by_account() -> dict[str, list[Show]]:
    shows: dict[str, list[Show]] = {row.id: [] for row in ACCOUNTS}
    for scenario in SCENARIOS:
        groups = [scenario.evidence]
        if scenario.subject == "account":
            groups += [scenario.breaks, scenario.honours]
        for group in groups:
            for account_id, show in group.items():
                shows[account_id].append(show)
    return shows


def _builders() -> dict[str, FileBuilder]:
    builders: dict[str, FileBuilder] = {}
    people: dict[str, int] = dict.fromkeys(MARKETS, 0)
    for index, row in enumerate(ACCOUNTS):
        builders[row.id] = FileBuilder(row, index, people[row.market])
        people[row.market] += builders[row.id].cadence.contacts
    for account_id, shows in _shows_by_account().items():
        builder = builders[account_id]
        for show in shows:
            for name, value in show.tweaks.items():
                builder.service.tweak(name, value)
        builder.baseline()
    return builders


def _reports(builders: Mapping[str, FileBuilder]) -> list[Report]:
    """Weekly reports, Mondays 09:00 at the department head's desk, on their key accounts."""
    heads = {
        "dimitrov": ("Europe/Sofia", ("ru", "uk", "bg")),
        "collins": ("Europe/London", ("zh", "en")),
    }
    reports = []
    monday = FIRST_REPORT
    while monday <= EXPORT_DAY:
        for head, (zone, markets) in heads.items():
            covered = tuple(
                b.row.id
                for b in builders.values()
                if b.row.market in markets and b.row.tier in KEY_TIERS and b.service.reported
            )
            reports.append(
                Report(
                    id=f"RPT-{monday.isoformat()}-{head}",
                    at=datetime.combine(monday, time(9, 0), tzinfo=ZoneInfo(zone)),
                    to=head,
                    account_ids=covered,
                )
            )
        monday += timedelta(days=7)
    return reports


def build() -> tuple[Portfolio, dict[str, Any]]:
    """The sample portfolio and its scenario map."""
    builders = _builders()
    entries = []
    for scenario in SCENARIOS:
        events: dict[str, list[str]] = {}
        groups = [scenario.evidence]
        if scenario.subject == "account":
            groups = [scenario.breaks, scenario.honours, scenario.evidence]
        for group in groups:
            for account_id, show in group.items():
                ids = builders[account_id].run(show)
                if ids:
                    events.setdefault(account_id, []).extend(ids)
        entries.append(
            {
                "principle": scenario.principle,
                "situation": scenario.situation,
                "code": scenario.code or scenario.situation,
                "subject": scenario.subject,
                "breaks": list(scenario.breaks),
                "honours": list(scenario.honours),
                "events": events,
                "description": scenario.description,
            }
        )
    portfolio = Portfolio(
        files=[b.client_file() for b in builders.values()],
        staff=STAFF,
        reports=_reports(builders),
        exported_at=EXPORTED_AT,
    )
    return portfolio, {"scenarios": entries, "classification": RECLASSIFICATION}


def render() -> tuple[str, str]:
    """The text of the portfolio file and of the scenario file, each with a final newline."""
    portfolio, scenarios = build()
    return (
        dumps_portfolio(portfolio) + "\n",
        json.dumps(scenarios, ensure_ascii=False, indent=2) + "\n",
    )


def main() -> None:
    portfolio_text, scenarios_text = render()
    PORTFOLIO_PATH.write_text(portfolio_text, encoding="utf-8")
    SCENARIOS_PATH.write_text(scenarios_text, encoding="utf-8")
    print(f"wrote {PORTFOLIO_PATH.relative_to(ROOT)} and {SCENARIOS_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

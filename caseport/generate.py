"""Seeded synthetic investigation data in the canonical model.

:func:`generate` streams a realistic, made-up POLE+O data set: households of people with UK-style
names, their addresses in a hierarchy of Greater Manchester postcodes and areas, their phones,
e-mail accounts and vehicles, social ties, gangs and employers, phone calls, crimes with suspects,
victims and witnesses, the officers investigating them, and on top the cases, intelligence reports
and exhibits an investigation produces. No real person is described; the street names, postcode
districts and crime categories are real (they follow the public Greater Manchester data behind the
Neo4j POLE example), the people and events are not. Phone numbers and vehicle registrations
are random in the real formats and may match real ones by chance; e-mail addresses use the
reserved ``example.*`` domains.

Links, read from source to target:

- between people (undirected unless said): ``ASSOCIATE_OF`` (qualifier ``knows``,
  ``social_media`` or ``phone_contact``; some are assessments with a confidence), ``LIVES_WITH``,
  ``FAMILY_OF`` (``partner``, ``sibling``, ``cousin``; ``parent`` and ``grandparent`` are
  directed from the elder);
- person to place, object or organisation: ``RESIDES_AT``, ``OWNS`` and ``USES`` (vehicles,
  phones, e-mail accounts), ``MEMBER_OF`` a gang (``leader`` or ``member``), ``EMPLOYED_BY`` a
  company or the force (officers);
- places: address ``WITHIN`` postcode ``WITHIN`` area; a company is ``LOCATED_AT`` an address;
- events: a person is ``PARTY_TO`` a crime with a ``role`` (suspect, offender, victim,
  witness); a crime ``OCCURRED_AT`` an address and is ``INVESTIGATED_BY`` an officer; a vehicle
  or seized item is ``INVOLVED_IN`` a crime; a phone call runs ``FROM`` and ``TO`` two phones.

The output depends only on ``entities``, ``seed`` and ``start``: every id, name and timestamp is
drawn from one ``random.Random(seed)``, never from the clock, so the same arguments give
byte-identical JSON Lines. The stream is made of neighbourhood blocks of about
:data:`BLOCK_ENTITIES` entities. A block emits its entities before the links that use them and its
cases, reports and exhibits last, so a record only ever references records emitted before it.
Links across blocks reach into a bounded window of the last :data:`WINDOW_BLOCKS` blocks, which
keeps the graph connected while memory stays flat however many entities are asked for.

Ids are UUID-shaped (the version 4 layout): a random prefix drawn for each block followed by the
stream's sequence number, so they are unique within a stream and differ from seed to seed.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from bisect import bisect
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Generic, Protocol, TypeVar

from contracts.models import (
    Case,
    CaseMember,
    CaseStatus,
    Classification,
    CustodyEvent,
    Entity,
    EntityKind,
    EventFields,
    Exhibit,
    Grading3x5x2,
    Grading5x5x5,
    Identifier,
    IntelligenceReport,
    Link,
    LinkRole,
    LocationFields,
    Markings,
    ObjectFields,
    OrganisationFields,
    PersonFields,
    Provenance,
    Record,
    Regrading,
    ReportSubject,
    to_json_line,
)

__all__ = [
    "BLOCK_ENTITIES",
    "DEFAULT_START",
    "GENERATOR_VERSION",
    "SOURCE_SYSTEM",
    "WINDOW_BLOCKS",
    "GenerationStats",
    "generate",
    "write_jsonl",
]

GENERATOR_VERSION: Final = "1"
"""Bumped whenever the same arguments would produce different output."""

SOURCE_SYSTEM: Final = "caseport-generator"
"""``provenance.source_system`` of every generated record."""

DEFAULT_START: Final = datetime(2025, 1, 1, tzinfo=UTC)
"""Where the generated year of events begins when ``start`` is not given."""

BLOCK_ENTITIES: Final = 500
"""Target number of entities in one neighbourhood block."""

WINDOW_BLOCKS: Final = 4
"""How many earlier blocks cross-block links may reach into."""

_PERIOD_SECONDS: Final = 365 * 86_400
_LEGACY_END: Final = datetime(2014, 4, 1, tzinfo=UTC)
_SMALL_BLOCK: Final = 80
"""Below this many entities a block holds people only (only when fewer are asked for in all)."""

_T = TypeVar("_T")

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

# fmt: off
_MALE_NAMES: Final = (
    "Oliver", "Jack", "Harry", "George", "Noah", "Charlie", "Jacob", "Thomas", "Oscar", "William",
    "James", "Leo", "Alfie", "Joshua", "Freddie", "Archie", "Ethan", "Isaac", "Mohammed", "Daniel",
    "Samuel", "Joseph", "Liam", "Ryan", "Connor", "Kyle", "Callum", "Jordan", "Lewis", "Luke",
    "Adam", "Ben", "Paul", "Mark", "David", "Michael", "Andrew", "Christopher", "Stephen", "Gary",
    "Lee", "Darren", "Craig", "Wayne", "Dean", "Jamie", "Scott", "Aaron", "Nathan", "Ali", "Imran",
    "Bilal", "Hamza", "Usman", "Kacper", "Jakub", "Tomasz", "Kwame", "Tyrone", "Patrick", "Sean",
    "Anthony", "Kevin", "Martin", "Steven", "Peter", "John", "Robert", "Carl", "Neil",
)
_FEMALE_NAMES: Final = (
    "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Mia", "Poppy", "Ella", "Lily",
    "Jessica", "Chloe", "Charlotte", "Hannah", "Holly", "Amy", "Lauren", "Rebecca", "Sarah",
    "Laura", "Emma", "Gemma", "Nicola", "Claire", "Kelly", "Joanne", "Lisa", "Michelle", "Karen",
    "Donna", "Tracey", "Julie", "Susan", "Helen", "Rachel", "Danielle", "Stacey", "Leanne",
    "Kirsty", "Aisha", "Fatima", "Zainab", "Amina", "Maryam", "Sana", "Ayesha", "Zofia", "Natalia",
    "Agnieszka", "Chantelle", "Jade", "Megan", "Paige", "Shannon", "Courtney", "Abigail", "Niamh",
    "Siobhan", "Jasmine", "Margaret", "Patricia", "Elaine", "Samantha", "Victoria", "Katie",
)
_FAMILY_NAMES: Final = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes",
    "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin",
    "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison",
    "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price",
    "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey",
    "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall",
    "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman",
    "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews",
    "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker",
    "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Graham", "Pearson", "Ahmed",
    "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart", "Elliott", "Reynolds",
    "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence", "Cole",
    "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien", "Watts",
    "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees", "Hayes",
    "Hart", "Hudson", "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe", "Page",
    "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone", "Reid", "Holland", "Hawkins",
    "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed", "Kennedy", "Bird", "Gardner",
    "Shah", "Dean", "Lane", "Cooke", "Bates", "Henderson", "Parry", "Burgess", "Bishop", "Walton",
    "Burns", "Nicholson", "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren", "Nicholls",
    "Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson", "Robson", "Curtis", "Hopkins",
    "O'Connor", "Harper", "Coleman", "Watkins", "Moss", "McCarthy", "Chambers", "O'Neill",
    "Griffin", "Sharp", "Hardy", "Wheeler", "Potter", "Osborne", "Johnston", "Gordon", "Doyle",
    "Wallace", "Hutchinson", "Nowak", "Kowalski", "Mensah", "Okafor", "Iqbal", "Akhtar", "Mahmood",
    "Rahman", "Kaczmarek", "Popescu", "Adeyemi", "Mahmoud",
)
_NICKNAMES: Final = (
    "Tank", "Smiler", "Shadow", "Bugsy", "Ghost", "Skinny", "Biggie", "Kid", "Lefty", "Taz",
    "Spider", "Bullet", "Chip", "Ratty", "Dex", "Snowy", "Bones", "Midge",
)
_NATIONALITIES: Final = ("Polish", "Pakistani", "Irish", "Nigerian", "Romanian", "Indian")

# Postcode districts: (district, post town, latitude, longitude); centroids of the locations in
# the public Greater Manchester street-crime data (data.police.uk, August 2017).
_AREAS: Final = (
    ("BL1", "Bolton", 53.5891, -2.4432), ("BL2", "Bolton", 53.5848, -2.3999),
    ("BL3", "Bolton", 53.5644, -2.4365), ("BL4", "Bolton", 53.5467, -2.4016),
    ("BL6", "Bolton", 53.5927, -2.5444), ("BL9", "Bury", 53.592, -2.2861),
    ("M1", "Manchester", 53.4776, -2.2365), ("M6", "Salford", 53.4925, -2.2951),
    ("M7", "Salford", 53.5038, -2.2625), ("M8", "Manchester", 53.509, -2.2397),
    ("M9", "Manchester", 53.5207, -2.2111), ("M11", "Manchester", 53.479, -2.1808),
    ("M12", "Manchester", 53.4629, -2.201), ("M14", "Manchester", 53.4487, -2.2255),
    ("M15", "Manchester", 53.4671, -2.2523), ("M16", "Manchester", 53.4549, -2.2645),
    ("M18", "Manchester", 53.4614, -2.1703), ("M19", "Manchester", 53.4372, -2.1961),
    ("M20", "Manchester", 53.4251, -2.2327), ("M22", "Manchester", 53.3855, -2.2603),
    ("M23", "Manchester", 53.3996, -2.289), ("M24", "Manchester", 53.5511, -2.1983),
    ("M25", "Manchester", 53.5291, -2.2754), ("M26", "Manchester", 53.5617, -2.3318),
    ("M27", "Manchester", 53.5129, -2.3355), ("M28", "Manchester", 53.5169, -2.3985),
    ("M30", "Manchester", 53.4842, -2.3554), ("M32", "Manchester", 53.4508, -2.3109),
    ("M33", "Sale", 53.42, -2.3278), ("M34", "Manchester", 53.4561, -2.1177),
    ("M40", "Manchester", 53.5032, -2.192), ("M41", "Manchester", 53.4512, -2.3663),
    ("OL1", "Oldham", 53.5505, -2.104), ("OL2", "Oldham", 53.5729, -2.1097),
    ("OL4", "Oldham", 53.5415, -2.0796), ("OL6", "Ashton-under-Lyne", 53.4947, -2.0851),
    ("OL8", "Oldham", 53.5259, -2.1178), ("OL9", "Oldham", 53.539, -2.1422),
    ("OL10", "Heywood", 53.5909, -2.2246), ("OL11", "Rochdale", 53.6048, -2.1732),
    ("OL12", "Rochdale", 53.6288, -2.1601), ("OL16", "Rochdale", 53.6127, -2.1347),
    ("SK2", "Stockport", 53.3941, -2.1328), ("SK3", "Stockport", 53.399, -2.1737),
    ("SK4", "Stockport", 53.4203, -2.1817), ("SK5", "Stockport", 53.4359, -2.1528),
    ("SK6", "Stockport", 53.4085, -2.0872), ("SK8", "Cheadle", 53.3809, -2.2086),
    ("SK14", "Hyde", 53.4518, -2.0609), ("SK15", "Stalybridge", 53.4867, -2.0502),
    ("WA14", "Altrincham", 53.3917, -2.3557), ("WA15", "Altrincham", 53.3873, -2.3253),
    ("WN1", "Wigan", 53.5505, -2.6266), ("WN2", "Wigan", 53.5337, -2.5832),
    ("WN3", "Wigan", 53.5298, -2.6422), ("WN5", "Wigan", 53.5392, -2.6776),
    ("WN6", "Wigan", 53.5687, -2.665), ("WN7", "Leigh", 53.4992, -2.5183),
)
_STREETS: Final = (
    "Manchester Road", "Church Street", "Market Street", "Chapel Street", "King Street",
    "Queen Street", "High Street", "Park Road", "George Street", "Church Road", "Victoria Street",
    "Station Road", "Charles Street", "Derby Street", "James Street", "John Street", "Manor Road",
    "York Street", "Albert Street", "Kingsway", "Stockport Road", "Union Street", "West Street",
    "School Lane", "Sandy Lane", "Stanley Road", "Lord Street", "Bridge Street", "Ash Grove",
    "Nelson Street", "Bury Old Road", "Crescent Road", "Wood Street", "Bank Street",
    "Crompton Street", "Taylor Street", "Wilmslow Road", "Wellington Road", "Peel Street",
    "Mill Lane", "Booth Street", "Hope Street", "Cecil Street", "Bolton Road", "Park Street",
    "Edward Street", "Grosvenor Street", "Brook Street", "Jackson Street", "Holt Street",
    "Queensway", "Castle Street", "Warwick Road", "Richmond Street", "Green Lane", "Moss Lane",
    "Beech Avenue", "Albion Street", "Bury New Road", "Chadwick Street", "Wigan Road",
    "Windsor Avenue", "School Street", "Lime Street", "Frederick Street", "Russell Street",
    "Henry Street", "Chapel Lane", "Fox Street", "Pine Street", "Windsor Road", "Broadway",
    "Stanley Street", "Park Avenue", "Crown Street", "Cross Street", "Elizabeth Street",
    "Hall Street", "Green Street", "Victoria Avenue", "Hill Street", "William Street",
    "Hardman Street", "Grafton Street", "Lever Street", "Railway Street", "Moss Street",
    "Central Drive", "Laburnum Road", "Central Avenue", "Barton Road", "Hillside Avenue",
    "Silver Street", "Brunswick Street", "Rochdale Road", "Arthur Street", "Howard Street",
    "Princess Street", "Water Street", "Thomas Street", "Grosvenor Road", "Church Lane",
    "Warrington Road", "West Avenue", "Birch Road", "Alfred Street", "Woodlands Road",
    "Stamford Road", "Victoria Road", "Greenway", "Dale Street", "Bridgewater Street",
    "Gordon Street", "School Road", "Smith Street", "Mary Street", "Linden Avenue", "Grange Road",
    "Highfield Avenue", "Barlow Street", "Cedar Avenue", "Cemetery Road", "Albert Road",
    "Oak Avenue", "Cedar Grove", "Wesley Street", "Mill Street", "Park View", "Clarence Street",
    "Windermere Road", "Sycamore Road", "Hazel Avenue", "Cooper Street", "Oxford Street",
    "Bedford Street", "The Drive", "Coniston Avenue", "Talbot Road", "Poplar Road", "Oldham Road",
    "Peter Street", "Meadway", "Springfield Road", "Canal Street",
)
_POSTCODE_UNIT_LETTERS: Final = "ABDEFGHJLNPQRSTUWXYZ"

_RANKS: Final = (
    ("Police Constable", "PC", 45),
    ("Detective Constable", "DC", 20),
    ("Sergeant", "PS", 17),
    ("Detective Sergeant", "DS", 8),
    ("Inspector", "Insp", 7),
    ("Detective Inspector", "DI", 3),
)
_UNITS: Final = (
    "Force Intelligence Bureau",
    "Serious Organised Crime Group",
    "Neighbourhood Policing Team",
    "Criminal Investigation Department",
    "Challenger Team",
    "Local Intelligence Unit",
)
_OPERATION_WORDS: Final = (
    "KESTREL", "NIGHTJAR", "HALYARD", "BRAMBLE", "COPPERLEAF", "MILLSTONE", "GRANITE", "SPARROW",
    "TAMARISK", "HEARTH", "LANTERN", "OSPREY", "FLINTLOCK", "WILLOW", "SEXTANT", "BRACKEN",
    "QUARRY", "HARRIER", "LODESTAR", "TALON", "JUNIPER", "COBALT", "DRUMLIN", "FALCONET",
)
_GANG_SUFFIXES: Final = ("Boys", "Crew", "Firm", "Gang", "Mob", "Lot")
_TRADES: Final = (
    "Motors", "Scaffolding", "Car Wash", "Builders", "Cleaning Services", "Logistics", "Barbers",
    "Vape Supplies", "Security", "Takeaway", "Plant Hire", "Recycling",
)

_VEHICLES: Final = (
    ("Ford", "Fiesta"), ("Ford", "Focus"), ("Ford", "Transit"), ("Vauxhall", "Corsa"),
    ("Vauxhall", "Astra"), ("Volkswagen", "Golf"), ("Volkswagen", "Polo"), ("BMW", "3 Series"),
    ("BMW", "1 Series"), ("Audi", "A3"), ("Audi", "A4"), ("Mercedes-Benz", "C-Class"),
    ("Mercedes-Benz", "A-Class"), ("Toyota", "Yaris"), ("Toyota", "Prius"), ("Nissan", "Qashqai"),
    ("Nissan", "Micra"), ("Kia", "Sportage"), ("Hyundai", "Tucson"), ("Peugeot", "208"),
    ("Renault", "Clio"), ("Honda", "Civic"), ("Land Rover", "Range Rover Sport"),
    ("Mini", "Cooper"), ("Skoda", "Octavia"), ("Seat", "Leon"),
)
_COLOURS: Final = ("Black", "White", "Silver", "Grey", "Blue", "Red", "Green")
_VRM_LETTERS: Final = "ABCDEFGHJKLMNOPRSTUVWXYZ"
_VRM_REGIONS: Final = "ABCDEFGHKLMNOPRSVWY"
_HANDSETS: Final = (
    ("Apple", "iPhone 13"), ("Apple", "iPhone 11"), ("Samsung", "Galaxy A14"),
    ("Samsung", "Galaxy S22"), ("Google", "Pixel 7a"), ("Motorola", "Moto G54"), ("Nokia", "105"),
    ("Alcatel", "1066G"),
)
_EMAIL_DOMAINS: Final = ("example.com", "example.net", "example.org")

# Crime categories and their weights follow the Greater Manchester street-crime data.
_CRIME_CATEGORIES: Final = (
    ("Violence and sexual offences", 8765), ("Public order", 4839),
    ("Criminal damage and arson", 3587), ("Burglary", 2807), ("Vehicle crime", 2598),
    ("Other theft", 2140), ("Shoplifting", 1427), ("Other crime", 651), ("Robbery", 541),
    ("Theft from the person", 423), ("Bicycle theft", 414), ("Drugs", 1200),
    ("Possession of weapons", 600),
)
_NO_VICTIM: Final = frozenset({"Drugs", "Possession of weapons", "Public order"})
_SUSPECT_LIKELIHOOD: Final = {"Drugs": 0.95, "Possession of weapons": 0.95, "Robbery": 0.6}
_OUTCOMES_NO_SUSPECT: Final = (
    ("Investigation complete; no suspect identified", 75),
    ("Unable to prosecute suspect", 15),
    ("Under investigation", 10),
)
_OUTCOMES_SUSPECT: Final = (
    ("Under investigation", 30),
    ("Unable to prosecute suspect", 18),
    ("Awaiting court outcome", 14),
    ("Further investigation is not in the public interest", 6),
    ("Local resolution", 6),
    ("Offender given a caution", 6),
    ("Offender sent to prison", 5),
    ("Offender given community sentence", 4),
    ("Offender given suspended prison sentence", 3),
    ("Offender fined", 3),
    ("Defendant sent to Crown Court", 3),
    ("Defendant found not guilty", 2),
)
_EVIDENCE: Final = {
    "Drugs": (
        ("drugs", "Cannabis plants ({n})"),
        ("drugs", "Wraps of suspected cocaine ({n})"),
        ("drugs", "Bag of suspected heroin ({n}g)"),
        ("tool", "Digital scales"),
        ("cash", "Cash in a carrier bag (GBP {n}0)"),
    ),
    "Possession of weapons": (
        ("weapon", "Kitchen knife"),
        ("weapon", "Machete"),
        ("weapon", "Knuckleduster"),
        ("weapon", "Imitation firearm"),
    ),
    "Burglary": (
        ("tool", "Crowbar"),
        ("clothing", "Pair of gloves"),
        ("property", "Recovered jewellery ({n} items)"),
    ),
    "": (
        ("clothing", "Hooded jacket"),
        ("digital_media", "CCTV footage (USB stick)"),
        ("document", "Handwritten notes"),
        ("tool", "Screwdriver"),
    ),
}
_DRUGS: Final = ("cannabis", "cocaine", "crack cocaine", "heroin", "ketamine", "MDMA")
_REPORT_TEXTS: Final = (
    "{name} is believed to be supplying {drug} from {address}. They are using a {vehicle}.",
    "{name} has been seen in the company of {associate} in the {area} area on several "
    "occasions and is believed to be running drugs for them.",
    "{name} uses mobile number {phone} to arrange the sale of {drug} in {town}.",
    "{name} is said to be storing a {weapon} at {address} on behalf of {associate}.",
    "{name} has been driving a {vehicle} around {town} late at night and meeting {associate}.",
    "{name} is in debt to {associate} and is being pressured into holding {drug}.",
)
_WEAPONS: Final = ("knife", "machete", "firearm", "baseball bat")

# fmt: on

_RELATION_QUALIFIERS: Final = (("knows", 55), ("social_media", 30), ("phone_contact", 15))
_HOUSEHOLD_SIZES: Final = ((1, 28), (2, 34), (3, 16), (4, 14), (5, 8))
_ASSOCIATE_COUNTS: Final = ((0, 15), (1, 35), (2, 30), (3, 15), (4, 5))

# Entities per block, as (share of the block, minimum in a full block); people take the rest.
_MIX: Final = {
    "postcode": (0.02, 1),
    "address": (0.13, 3),
    "officer": (0.008, 1),
    "gang": (0.002, 0),
    "company": (0.004, 0),
    "vehicle": (0.07, 1),
    "phone": (0.10, 2),
    "email": (0.03, 0),
    "call": (0.10, 1),
    "crime": (0.15, 2),
    "evidence": (0.02, 1),
}
_REPORTS_PER_ENTITY: Final = 0.03

# The first 80 bits of a version 4, variant 1 UUID; the last 48 bits are a sequence number.
_PREFIX_MASK: Final = ((1 << 80) - 1) ^ ((0xF << 28) | (0x3 << 14))
_PREFIX_V4: Final = (0x4 << 28) | (0x2 << 14)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class GenerationStats:
    """Running counts of a :func:`generate` stream, handed to its ``progress`` hook.

    The hook gets the same object after every block, updated in place, so a progress bar can
    show ``entities`` against ``entities_target``.
    """

    entities_target: int
    entities: int = 0
    links: int = 0
    cases: int = 0
    intelligence_reports: int = 0
    exhibits: int = 0
    blocks: int = 0

    @property
    def records(self) -> int:
        """All records emitted so far, of every type."""
        return self.entities + self.links + self.cases + self.intelligence_reports + self.exhibits


def generate(
    entities: int,
    *,
    seed: int = 0,
    start: datetime | None = None,
    progress: Callable[[GenerationStats], None] | None = None,
) -> Iterator[Record]:
    """Stream a seeded synthetic investigation data set of exactly ``entities`` entities.

    Links (two to three per entity), cases, intelligence reports and exhibits come on top. Every
    record references only records emitted before it. The stream is lazy and memory does not
    grow with ``entities``: it is produced one neighbourhood block at a time. The same arguments
    always give the same records; a different ``entities`` gives a different data set, not a
    longer or shorter version of the same one.

    Args:
        entities: How many :class:`~contracts.models.Entity` records to emit. From about 100 the
            data holds every kind of record; below 80 it holds people and their ties only.
        seed: Seeds the one random generator everything is drawn from.
        start: Timezone-aware start of the year in which generated events happen;
            :data:`DEFAULT_START` by default. Records are created at or after it, except legacy
            (5x5x5) intelligence reports, which are dated 2008 to March 2014; dates of birth and
            ``valid_from`` dates of standing ties lie before it.
        progress: Called with the running :class:`GenerationStats` after each block.

    Raises:
        ValueError: ``entities`` is negative or ``start`` has no time zone.
    """
    if entities < 0:
        raise ValueError("entities must not be negative")
    if start is None:
        start = DEFAULT_START
    elif start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    return _stream(entities, seed, start.astimezone(UTC), progress)


class _TextSink(Protocol):
    def write(self, text: str, /) -> object: ...


def write_jsonl(records: Iterable[Record], stream: _TextSink) -> int:
    """Write ``records`` to ``stream`` as canonical JSON Lines and return how many were written.

    Each line is :func:`~contracts.models.to_json_line` of one record followed by a newline.
    """
    count = 0
    for record in records:
        stream.write(to_json_line(record) + "\n")
        count += 1
    return count


def _stream(
    entities: int,
    seed: int,
    start: datetime,
    progress: Callable[[GenerationStats], None] | None,
) -> Iterator[Record]:
    stats = GenerationStats(entities_target=entities)
    generator = _Generator(seed, start, stats)
    for budget in _block_budgets(entities):
        yield from generator.block(budget)
        stats.blocks += 1
        if progress is not None:
            progress(stats)


def _block_budgets(entities: int) -> Iterator[int]:
    """Split ``entities`` into near-equal blocks of about :data:`BLOCK_ENTITIES`."""
    if entities == 0:
        return
    blocks = -(-entities // BLOCK_ENTITIES)
    size, extra = divmod(entities, blocks)
    for index in range(blocks):
        yield size + (1 if index < extra else 0)


# --------------------------------------------------------------------------------------------
# Generator state
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    id: str
    label: str
    given: str
    family: str
    age: int
    prone: bool
    household: int
    home: _Address | None


@dataclass(slots=True)
class _Address:
    id: str
    label: str
    residential: bool
    residents: list[_Person] = field(default_factory=list)


@dataclass(slots=True)
class _Officer:
    id: str
    label: str
    initials: str


@dataclass(slots=True)
class _Thing:
    """A vehicle, phone or e-mail account: its id and how people write it."""

    id: str
    label: str


@dataclass(slots=True)
class _Gang:
    id: str
    label: str
    codeword: str
    markings: Markings
    members: list[str]


@dataclass(slots=True)
class _Crime:
    id: str
    reference: str
    category: str
    outcome: str
    recorded: datetime
    scene: _Address
    officer: _Officer
    markings: Markings
    parties: list[tuple[_Person, LinkRole]]
    vehicles: list[_Thing]
    evidence: list[_Thing] = field(default_factory=list)
    case_id: str | None = None

    def accused(self) -> list[_Person]:
        """The suspects and offenders, in the order they were linked."""
        return [person for person, role in self.parties if role in _ACCUSED]


@dataclass(slots=True)
class _Hood:
    """What later blocks may still link to: a few id lists of one finished block."""

    persons: list[str]
    prone: list[str]
    phones: list[_Thing]
    officers: list[_Officer]


@dataclass(slots=True)
class _Block:
    """Everything one block knows about itself while it is being made."""

    area: tuple[str, str, float, float]
    area_id: str
    postcodes: list[tuple[str, str, float, float]] = field(default_factory=list)
    addresses: list[_Address] = field(default_factory=list)
    officers: list[_Officer] = field(default_factory=list)
    persons: list[_Person] = field(default_factory=list)
    adults: list[_Person] = field(default_factory=list)
    prone: list[_Person] = field(default_factory=list)
    pairs: set[tuple[str, str]] = field(default_factory=set)
    associates: dict[str, list[_Person]] = field(default_factory=dict)
    vehicles_of: dict[str, list[_Thing]] = field(default_factory=dict)
    owned_vehicles: list[tuple[_Person, _Thing]] = field(default_factory=list)
    phones: list[_Thing] = field(default_factory=list)
    phones_of: dict[str, list[_Thing]] = field(default_factory=dict)
    gangs: list[_Gang] = field(default_factory=list)
    gang_of: dict[str, _Gang] = field(default_factory=dict)
    crimes: list[_Crime] = field(default_factory=list)


def _cumulative(weighted: Sequence[tuple[_T, int]]) -> tuple[tuple[_T, ...], tuple[int, ...]]:
    values = tuple(value for value, _ in weighted)
    return values, tuple(itertools.accumulate(weight for _, weight in weighted))


class _Weighted(Generic[_T]):
    """A weighted choice table drawn from with one ``random()`` call."""

    __slots__ = ("_cum", "_total", "_values")

    def __init__(self, weighted: Sequence[tuple[_T, int]]) -> None:
        self._values, self._cum = _cumulative(weighted)
        self._total = self._cum[-1]

    def pick(self, rng: random.Random) -> _T:
        return self._values[bisect(self._cum, rng.random() * self._total)]


_SIZES: Final = _Weighted(_HOUSEHOLD_SIZES)
_ASSOCIATES: Final = _Weighted(_ASSOCIATE_COUNTS)
_QUALIFIERS: Final = _Weighted(_RELATION_QUALIFIERS)
_CATEGORIES: Final = _Weighted(_CRIME_CATEGORIES)
_NO_SUSPECT: Final = _Weighted(_OUTCOMES_NO_SUSPECT)
_WITH_SUSPECT: Final = _Weighted(_OUTCOMES_SUSPECT)
_RANK: Final = _Weighted([((title, short), weight) for title, short, weight in _RANKS])
_SOURCE_EVAL: Final = _Weighted([("1", 30), ("2", 55), ("3", 15)])
_INTEL_ASSESS: Final = _Weighted([("A", 10), ("B", 35), ("C", 35), ("D", 15), ("E", 5)])
_LEGACY_SOURCE: Final = _Weighted([("A", 10), ("B", 40), ("C", 30), ("D", 5), ("E", 15)])
_LEGACY_INTEL: Final = _Weighted([("1", 5), ("2", 35), ("3", 35), ("4", 20), ("5", 5)])
_LEGACY_HANDLING: Final = _Weighted([("1", 50), ("2", 15), ("3", 5), ("4", 25), ("5", 5)])

_OFFICIAL: Final = Markings()
_SENSITIVE: Final = Markings(sensitive=True)
_EYES_ONLY: Final = Markings(sensitive=True, caveats=("UK EYES ONLY",))
_SECRET: Final = Markings(
    classification=Classification.SECRET,
    caveats=("UK EYES ONLY",),
    handling_instructions="Source protection: do not action without reference to the FIB.",
)
_CONDITIONS: Final = Markings(
    sensitive=True,
    handling_instructions="Handling code C: follow the conditions recorded on the report.",
)
_LEGACY_MARKINGS: Final = (
    Markings(legacy_gpms="RESTRICTED"),
    Markings(legacy_gpms="RESTRICTED", sensitive=True),
    Markings(legacy_gpms="CONFIDENTIAL", sensitive=True),
)
_ACCUSED: Final = frozenset({LinkRole.SUSPECT, LinkRole.OFFENDER})
_CONVICTED: Final = frozenset(outcome for outcome, _ in _OUTCOMES_SUSPECT if "Offender" in outcome)
_CHARGED: Final = frozenset({"Awaiting court outcome", "Defendant sent to Crown Court"})
_OPEN: Final = frozenset({"Under investigation"})


class _Generator:
    """Makes one block at a time; keeps only a bounded window of earlier blocks."""

    def __init__(self, seed: int, start: datetime, stats: GenerationStats) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.start = start
        self.stats = stats
        self.year = start.year
        self.provenance = (
            Provenance(
                source_system=SOURCE_SYSTEM,
                source_dataset=f"synthetic-seed-{seed}",
                method="generated",
                transform=f"{SOURCE_SYSTEM}/{GENERATOR_VERSION}",
            ),
        )
        self.window: deque[_Hood] = deque(maxlen=WINDOW_BLOCKS)
        self.area_ids: dict[str, str] = {}
        self.force_id: str | None = None
        self.crime_no = 0
        self.case_no = 0
        self.report_no = 0
        self.exhibit_no = 0
        self.gang_no = 0
        self.out: list[Record] = []
        self.made = 0
        self.sequence = 0
        self.prefix = ""

    # ---- primitives -----------------------------------------------------------------------

    def uuid(self) -> str:
        """A UUID-shaped id: the block's random prefix and the stream's sequence number.

        The sequence number makes ids unique within a stream for certain; the prefix, drawn
        afresh for every block, keeps streams of different seeds apart.
        """
        self.sequence += 1
        return f"{self.prefix}{self.sequence:012x}"

    def new_prefix(self) -> None:
        text = f"{self.rng.getrandbits(80) & _PREFIX_MASK | _PREFIX_V4:020x}"
        self.prefix = f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:]}-"

    def at(self, seconds: float) -> datetime:
        return self.start + timedelta(seconds=int(seconds))

    def some_time(self) -> datetime:
        return self.at(self.rng.randrange(_PERIOD_SECONDS))

    def years_before(self, low: float, high: float) -> datetime:
        return self.at(-self.rng.uniform(low, high) * 365.25 * 86_400)

    def legacy_time(self) -> datetime:
        """A moment in 2008-2014, before 3x5x2 and the 2014 classifications (or before start)."""
        end = min(_LEGACY_END, self.start)
        return end - timedelta(seconds=self.rng.randrange(6 * 365 * 86_400))

    def round_share(self, value: float) -> int:
        whole = int(value)
        return whole + (1 if self.rng.random() < value - whole else 0)

    def entity_markings(self) -> Markings:
        roll = self.rng.random()
        if roll < 0.94:
            return _OFFICIAL
        return _SENSITIVE if roll < 0.99 else _EYES_ONLY

    def entity(
        self,
        kind: EntityKind,
        subtype: str,
        label: str,
        *,
        markings: Markings = _OFFICIAL,
        created: datetime | None = None,
        aliases: tuple[str, ...] = (),
        person: PersonFields | None = None,
        organisation: OrganisationFields | None = None,
        obj: ObjectFields | None = None,
        location: LocationFields | None = None,
        event: EventFields | None = None,
        properties: dict[str, str | int | bool | float] | None = None,
    ) -> str:
        entity_id = self.uuid()
        when = created or self.start
        self.out.append(
            Entity(
                id=entity_id,
                kind=kind,
                subtype=subtype,
                label=label,
                aliases=aliases,
                person=person,
                organisation=organisation,
                object=obj,
                location=location,
                event=event,
                properties=properties or {},
                markings=markings,
                provenance=self.provenance,
                created_at=when,
                updated_at=when,
            )
        )
        self.made += 1
        return entity_id

    def link(
        self,
        type_: str,
        source: str,
        target: str,
        *,
        directed: bool = True,
        role: LinkRole | None = None,
        qualifier: str | None = None,
        valid_from: datetime | None = None,
        created: datetime | None = None,
        confidence: float | None = None,
        markings: Markings = _OFFICIAL,
    ) -> None:
        when = created or self.start
        self.out.append(
            Link(
                id=self.uuid(),
                type=type_,
                source_id=source,
                target_id=target,
                directed=directed,
                role=role,
                qualifier=qualifier,
                valid_from=valid_from,
                confidence=confidence,
                fact_or_assessment="fact" if confidence is None else "assessment",
                markings=markings,
                provenance=self.provenance,
                created_at=when,
                updated_at=when,
            )
        )

    # ---- one block ------------------------------------------------------------------------

    def block(self, budget: int) -> list[Record]:
        """Make the records of one block of exactly ``budget`` entities."""
        self.out = []
        self.made = 0
        self.new_prefix()
        if budget < _SMALL_BLOCK:
            self.small_block(budget)
        else:
            self.full_block(budget)
        if self.made != budget:  # pragma: no cover - an internal bookkeeping error
            raise AssertionError(f"block made {self.made} entities, planned {budget}")
        out, self.out = self.out, []
        self.count(out)
        return out

    def count(self, records: list[Record]) -> None:
        stats = self.stats
        for record in records:
            if type(record) is Link:
                stats.links += 1
            elif type(record) is Entity:
                stats.entities += 1
            elif type(record) is Case:
                stats.cases += 1
            elif type(record) is IntelligenceReport:
                stats.intelligence_reports += 1
            else:
                stats.exhibits += 1

    def small_block(self, budget: int) -> None:
        block = _Block(area=self.rng.choice(_AREAS), area_id="")
        self.households(block, budget)
        self.social_ties(block)
        self.window.append(_Hood([p.id for p in block.persons], [], [], []))

    def plan(self, budget: int, fixed: int) -> dict[str, int]:
        counts = {
            name: max(minimum, self.round_share(budget * share))
            for name, (share, minimum) in _MIX.items()
        }
        floor = max(10, budget // 4)
        while budget - fixed - sum(counts.values()) < floor:
            spare = [name for name in counts if counts[name] > _MIX[name][1]]
            largest = max(spare, key=lambda name: counts[name])
            counts[largest] -= 1
        counts["person"] = budget - fixed - sum(counts.values())
        return counts

    def full_block(self, budget: int) -> None:
        rng = self.rng
        area = rng.choice(_AREAS)
        fixed = (area[0] not in self.area_ids) + (self.force_id is None)
        counts = self.plan(budget, fixed)
        block = _Block(area=area, area_id=self.area(area))
        force_id = self.force()
        self.places(block, counts["postcode"], counts["address"])
        self.officers(block, counts["officer"], force_id)
        self.households(block, counts["person"])
        self.social_ties(block)
        self.gangs(block, counts["gang"])
        self.companies(block, counts["company"])
        self.vehicles(block, counts["vehicle"])
        self.phones(block, counts["phone"])
        self.emails(block, counts["email"])
        self.calls(block, counts["call"])
        self.crimes(block, counts["crime"])
        self.evidence(block, counts["evidence"])
        self.cases(block)
        self.reports(block, self.round_share(budget * _REPORTS_PER_ENTITY))
        self.exhibits(block)
        self.window.append(
            _Hood(
                persons=[p.id for p in block.persons],
                prone=[p.id for p in block.prone],
                phones=block.phones,
                officers=block.officers,
            )
        )

    # ---- places ---------------------------------------------------------------------------

    def area(self, area: tuple[str, str, float, float]) -> str:
        code, town, lat, lon = area
        known = self.area_ids.get(code)
        if known is not None:
            return known
        area_id = self.entity(
            EntityKind.LOCATION,
            "area",
            f"{code} ({town})",
            location=LocationFields(area_code=code, latitude=lat, longitude=lon),
            properties={"post_town": town},
        )
        self.area_ids[code] = area_id
        return area_id

    def force(self) -> str:
        if self.force_id is None:
            self.force_id = self.entity(
                EntityKind.ORGANISATION,
                "police_force",
                "Greater Manchester Police",
                aliases=("GMP",),
                organisation=OrganisationFields(organisation_type="police_force"),
            )
        return self.force_id

    def places(self, block: _Block, postcodes: int, addresses: int) -> None:
        rng = self.rng
        code, town, lat, lon = block.area
        for _ in range(postcodes):
            postcode = (
                f"{code} {rng.randrange(1, 10)}"
                f"{rng.choice(_POSTCODE_UNIT_LETTERS)}{rng.choice(_POSTCODE_UNIT_LETTERS)}"
            )
            p_lat = round(lat + rng.gauss(0, 0.008), 6)
            p_lon = round(lon + rng.gauss(0, 0.012), 6)
            postcode_id = self.entity(
                EntityKind.LOCATION,
                "postcode",
                postcode,
                location=LocationFields(
                    postcode=postcode, area_code=code, latitude=p_lat, longitude=p_lon
                ),
            )
            self.link("WITHIN", postcode_id, block.area_id)
            block.postcodes.append((postcode_id, postcode, p_lat, p_lon))
        streets = {postcode[0]: rng.choice(_STREETS) for postcode in block.postcodes}
        numbers = {postcode[0]: rng.randrange(1, 60) for postcode in block.postcodes}
        for index in range(addresses):
            postcode_id, postcode, p_lat, p_lon = block.postcodes[index % len(block.postcodes)]
            number = numbers[postcode_id]
            numbers[postcode_id] = number + rng.choice((1, 2, 2, 3))
            residential = rng.random() < 0.85
            premises = f"{number} " if residential else f"Unit {rng.randrange(1, 12)}, "
            label = f"{premises}{streets[postcode_id]}, {town} {postcode}"
            address_id = self.entity(
                EntityKind.LOCATION,
                "address",
                label,
                location=LocationFields(
                    address=label,
                    postcode=postcode,
                    area_code=code,
                    latitude=round(p_lat + rng.gauss(0, 0.0012), 6),
                    longitude=round(p_lon + rng.gauss(0, 0.0018), 6),
                ),
                properties={"premises": "residential" if residential else "commercial"},
            )
            self.link("WITHIN", address_id, postcode_id)
            block.addresses.append(_Address(address_id, label, residential))

    # ---- people ---------------------------------------------------------------------------

    def name(self, gender: str) -> str:
        names = _FEMALE_NAMES if gender == "female" else _MALE_NAMES
        return self.rng.choice(names)

    def date_of_birth(self, age: int) -> str:
        """A birthday that makes the person ``age`` (give or take the year) at ``start``."""
        rng = self.rng
        year = self.year - age - rng.randrange(2)
        return f"{year:04d}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"

    def officers(self, block: _Block, count: int, force_id: str) -> None:
        rng = self.rng
        for _ in range(count):
            gender = "female" if rng.random() < 0.35 else "male"
            given, family = self.name(gender), rng.choice(_FAMILY_NAMES)
            rank, short = _RANK.pick(rng)
            collar = f"{rng.randrange(1000, 30000)}"
            label = f"{short} {collar} {given} {family}"
            officer_id = self.entity(
                EntityKind.PERSON,
                "officer",
                label,
                person=PersonFields(
                    given_names=(given,),
                    family_name=family,
                    gender=gender,
                    date_of_birth=self.date_of_birth(rng.randrange(21, 58)),
                    identifiers=(Identifier(scheme="collar_number", value=collar),),
                ),
                properties={"rank": rank},
            )
            self.link("EMPLOYED_BY", officer_id, force_id, valid_from=self.years_before(0.5, 25))
            block.officers.append(_Officer(officer_id, label, f"{given[0]}{family[0]}"))

    def person(
        self,
        block: _Block,
        household: int,
        home: _Address | None,
        age: int,
        gender: str,
        family: str,
    ) -> _Person:
        rng = self.rng
        given = self.name(gender)
        given_names: tuple[str, ...] = (given,)
        if rng.random() < 0.25:
            middle = self.name(gender)
            if middle != given:
                given_names = (given, middle)
        prone = age >= 14 and rng.random() < (0.22 if age <= 40 else 0.07 if age <= 60 else 0.01)
        identifiers: tuple[Identifier, ...] = ()
        aliases: tuple[str, ...] = ()
        if prone and rng.random() < 0.7:
            first_arrest = rng.randrange(max(self.year - age + 14, 1995), self.year + 1)
            pnc = f"{first_arrest % 100:02d}/{rng.randrange(10**7):07d}"
            identifiers = (Identifier(scheme="pnc_id", value=pnc + rng.choice(_VRM_LETTERS)),)
            if rng.random() < 0.3:
                aliases = (rng.choice(_NICKNAMES),)
        nationality = "British" if rng.random() < 0.86 else rng.choice(_NATIONALITIES)
        label = f"{' '.join(given_names)} {family}"
        person_id = self.entity(
            EntityKind.PERSON,
            "person",
            label,
            markings=self.entity_markings(),
            aliases=aliases,
            person=PersonFields(
                given_names=given_names,
                family_name=family,
                date_of_birth=self.date_of_birth(age),
                gender=gender if rng.random() < 0.995 else "unknown",
                nationalities=(nationality,),
                identifiers=identifiers,
            ),
        )
        person = _Person(person_id, label, given, family, age, prone, household, home)
        block.persons.append(person)
        if age >= 16:
            block.adults.append(person)
        if prone:
            block.prone.append(person)
        if home is not None:
            home.residents.append(person)
        return person

    def households(self, block: _Block, count: int) -> None:
        rng = self.rng
        homes = [address for address in block.addresses if address.residential]
        made = 0
        household = 0
        while made < count:
            size = min(_SIZES.pick(rng), count - made)
            home = homes[household % len(homes)] if homes else None
            self.household(block, household, home, size)
            household += 1
            made += size

    def household(self, block: _Block, household: int, home: _Address | None, size: int) -> None:
        rng = self.rng
        head_gender = "female" if rng.random() < 0.5 else "male"
        head_age = min(90, int(rng.triangular(18, 85, 34)))
        family = rng.choice(_FAMILY_NAMES)
        members = [self.person(block, household, home, head_age, head_gender, family)]
        family_links: list[tuple[_Person, _Person, str]] = []
        couple = size >= 2 and (head_age >= 24 and rng.random() < 0.7)
        if couple:
            opposite = "male" if head_gender == "female" else "female"
            gender = opposite if rng.random() < 0.95 else head_gender
            partner_family = family if rng.random() < 0.6 else rng.choice(_FAMILY_NAMES)
            partner_age = max(18, head_age + rng.randrange(-6, 7))
            partner = self.person(block, household, home, partner_age, gender, partner_family)
            members.append(partner)
            family_links.append((members[0], partner, "partner"))
            youngest_parent = min(head_age, partner_age)
            children: list[_Person] = []
            for _ in range(size - 2):
                age = rng.randrange(min(youngest_parent - 17, 30))
                child_gender = "female" if rng.random() < 0.5 else "male"
                child = self.person(block, household, home, age, child_gender, family)
                members.append(child)
                children.append(child)
                family_links.append((members[0], child, "parent"))
                if rng.random() < 0.6:
                    family_links.append((partner, child, "parent"))
            for older, younger in itertools.pairwise(children):
                family_links.append((older, younger, "sibling"))
        else:
            for _ in range(size - 1):
                gender = "female" if rng.random() < 0.5 else "male"
                age = rng.randrange(18, 45)
                members.append(
                    self.person(block, household, home, age, gender, rng.choice(_FAMILY_NAMES))
                )
        since = self.years_before(0.2, 15)
        if home is not None:
            for member in members:
                self.link("RESIDES_AT", member.id, home.id, valid_from=since)
        head = members[0]
        for index, member in enumerate(members[1:], start=1):
            others = members[:index] if len(members) <= 3 else [head]
            for other in others:
                self.tie(block, other, member, "LIVES_WITH", valid_from=since, again=True)
        for first, second, relation in family_links:
            self.tie(block, first, second, "FAMILY_OF", qualifier=relation, again=True)

    def tie(
        self,
        block: _Block,
        first: _Person,
        second: _Person,
        type_: str,
        *,
        qualifier: str | None = None,
        valid_from: datetime | None = None,
        confidence: float | None = None,
        again: bool = False,
    ) -> bool:
        """Link two people; whether a link was made.

        Without ``again`` two people already tied in any way are left as they are, so an
        association never duplicates a household or family tie. ``parent`` and ``grandparent``
        ties are directed from the elder; every other tie between people is undirected.
        """
        key = (first.id, second.id) if first.id < second.id else (second.id, first.id)
        if key in block.pairs and not again:
            return False
        block.pairs.add(key)
        directed = qualifier in ("parent", "grandparent")
        self.link(
            type_,
            first.id,
            second.id,
            directed=directed,
            qualifier=qualifier,
            valid_from=valid_from,
            confidence=confidence,
        )
        return True

    def social_ties(self, block: _Block) -> None:
        """Wider family, associates within the block and a few reaching into earlier blocks."""
        rng = self.rng
        by_family: dict[str, list[_Person]] = {}
        for person in block.persons:
            by_family.setdefault(person.family, []).append(person)
        for person in block.persons:
            if rng.random() >= 0.08:
                continue
            relatives = [
                other for other in by_family[person.family] if other.household != person.household
            ]
            if not relatives:
                continue
            other = rng.choice(relatives)
            older, younger = (person, other) if person.age >= other.age else (other, person)
            if older.age - younger.age >= 40:
                self.tie(block, older, younger, "FAMILY_OF", qualifier="grandparent")
            else:
                relation = "sibling" if rng.random() < 0.5 else "cousin"
                self.tie(block, older, younger, "FAMILY_OF", qualifier=relation)
        sociable = [person for person in block.persons if person.age >= 14]
        earlier = [person_id for hood in self.window for person_id in hood.persons]
        earlier_prone = [person_id for hood in self.window for person_id in hood.prone]
        associates = block.associates
        for index, person in enumerate(sociable):
            wanted = _ASSOCIATES.pick(rng) + (2 if person.prone else 0)
            for _ in range(wanted):
                roll = rng.random()
                qualifier = _QUALIFIERS.pick(rng)
                confidence = round(rng.uniform(0.5, 0.9), 2) if rng.random() < 0.2 else None
                if roll < 0.12 and earlier:
                    pool = earlier_prone if person.prone and earlier_prone else earlier
                    other_id = rng.choice(pool)
                    if (other_id, person.id) not in block.pairs:  # (earlier, this block)
                        block.pairs.add((other_id, person.id))
                        self.link(
                            "ASSOCIATE_OF",
                            person.id,
                            other_id,
                            directed=False,
                            qualifier=qualifier,
                            confidence=confidence,
                        )
                    continue
                if person.prone and roll < 0.6 and len(block.prone) > 1:
                    other = rng.choice(block.prone)
                elif roll < 0.8:
                    nearby = index + rng.randrange(-20, 21)
                    other = sociable[min(len(sociable) - 1, max(0, nearby))]
                else:
                    other = rng.choice(sociable)
                if other is person:
                    continue
                if self.tie(
                    block, person, other, "ASSOCIATE_OF", qualifier=qualifier, confidence=confidence
                ):
                    associates.setdefault(person.id, []).append(other)
                    associates.setdefault(other.id, []).append(person)

    # ---- organisations --------------------------------------------------------------------

    def gangs(self, block: _Block, count: int) -> None:
        rng = self.rng
        earlier_prone = [person_id for hood in self.window for person_id in hood.prone]
        for _ in range(count):
            word = _OPERATION_WORDS[self.gang_no % len(_OPERATION_WORDS)]
            lap = self.gang_no // len(_OPERATION_WORDS)
            codeword = word if lap == 0 else f"{word}{lap + 1}"
            self.gang_no += 1
            markings = Markings(sensitive=True, compartments=(f"OP-{codeword}",))
            street = rng.choice(_STREETS).split()[0]
            label = f"{street} {rng.choice(_GANG_SUFFIXES)}"
            gang_id = self.entity(
                EntityKind.ORGANISATION,
                "gang",
                label,
                markings=markings,
                organisation=OrganisationFields(organisation_type="organised_crime_group"),
                properties={"area": block.area[1]},
            )
            pool = block.prone or block.adults
            members = rng.sample(pool, min(len(pool), rng.randrange(4, 11)))
            member_ids = [member.id for member in members]
            if earlier_prone:
                member_ids += rng.sample(earlier_prone, min(len(earlier_prone), rng.randrange(3)))
            for index, member_id in enumerate(dict.fromkeys(member_ids)):
                self.link(
                    "MEMBER_OF",
                    member_id,
                    gang_id,
                    qualifier="leader" if index == 0 else "member",
                    valid_from=self.years_before(0.2, 6),
                    confidence=round(rng.uniform(0.6, 0.95), 2),
                    markings=markings,
                )
            gang = _Gang(gang_id, label, codeword, markings, list(dict.fromkeys(member_ids)))
            block.gangs.append(gang)
            for member in members:
                block.gang_of.setdefault(member.id, gang)

    def companies(self, block: _Block, count: int) -> None:
        rng = self.rng
        premises = [address for address in block.addresses if not address.residential]
        workers = [person for person in block.adults if person.age <= 67]
        for _ in range(count):
            label = f"{rng.choice(_FAMILY_NAMES)} {rng.choice(_TRADES)} Ltd"
            number = f"{rng.randrange(10**8):08d}"
            company_id = self.entity(
                EntityKind.ORGANISATION,
                "company",
                label,
                organisation=OrganisationFields(
                    organisation_type="company",
                    registration_number=number,
                    identifiers=(Identifier(scheme="companies_house", value=number),),
                ),
            )
            if premises:
                self.link("LOCATED_AT", company_id, rng.choice(premises).id)
            staff = rng.sample(workers, min(len(workers), rng.randrange(2, 25)))
            for index, person in enumerate(staff):
                self.link(
                    "EMPLOYED_BY",
                    person.id,
                    company_id,
                    qualifier="director" if index == 0 else "employee",
                    valid_from=self.years_before(0.1, 12),
                )

    # ---- objects --------------------------------------------------------------------------

    def owner(self, block: _Block) -> _Person:
        rng = self.rng
        if block.prone and rng.random() < 0.35:
            return rng.choice(block.prone)
        return rng.choice(block.adults)

    def vrm(self, year: int) -> str:
        rng = self.rng
        region = "M" if rng.random() < 0.6 else rng.choice(_VRM_REGIONS)
        age = year % 100 + (50 if rng.random() < 0.5 else 0)  # March or September plates
        letters = "".join(rng.choice(_VRM_LETTERS) for _ in range(3))
        return f"{region}{rng.choice(_VRM_LETTERS)}{age:02d} {letters}"

    def vehicles(self, block: _Block, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            make, model = rng.choice(_VEHICLES)
            colour = rng.choice(_COLOURS)
            year = rng.randrange(2002, self.year + 1)
            vrm = self.vrm(year)
            label = f"{colour} {make} {model} ({vrm})"
            vehicle_id = self.entity(
                EntityKind.OBJECT,
                "vehicle",
                label,
                obj=ObjectFields(
                    identifiers=(Identifier(scheme="vrm", value=vrm),),
                    make=make,
                    model=model,
                    colour=colour,
                ),
                properties={"year": year},
            )
            vehicle = _Thing(vehicle_id, label)
            owner = self.owner(block)
            self.link(
                "OWNS", owner.id, vehicle_id, valid_from=self.years_before(0.1, self.year - year)
            )
            block.vehicles_of.setdefault(owner.id, []).append(vehicle)
            block.owned_vehicles.append((owner, vehicle))
            if rng.random() < 0.25:
                users = block.associates.get(owner.id) or (
                    owner.home.residents if owner.home else []
                )
                user = rng.choice(users) if users else None
                if user is not None and user is not owner and user.age >= 17:
                    self.link("USES", user.id, vehicle_id, valid_from=self.years_before(0, 2))
                    block.vehicles_of.setdefault(user.id, []).append(vehicle)

    def msisdn(self) -> str:
        """A UK mobile number in E.164 form (+44 7[4-9]xx xxxxxx)."""
        return f"+447{self.rng.randrange(4 * 10**8, 10**9):09d}"

    def imei(self) -> str:
        digits = [self.rng.randrange(10) for _ in range(14)]
        total = 0
        for index, digit in enumerate(reversed(digits)):
            if index % 2 == 0:
                digit *= 2
                digit -= 9 if digit > 9 else 0
            total += digit
        return "".join(map(str, digits)) + str(-total % 10)

    def phones(self, block: _Block, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            user = self.owner(block)
            number = self.msisdn()
            burner = user.prone and rng.random() < 0.5
            make, model = rng.choice(_HANDSETS[-2:] if burner else _HANDSETS)
            identifiers = [Identifier(scheme="msisdn", value=number)]
            if rng.random() < 0.6:
                identifiers.append(Identifier(scheme="imei", value=self.imei()))
            label = f"0{number[3:7]} {number[7:]}"
            phone_id = self.entity(
                EntityKind.OBJECT,
                "phone",
                label,
                obj=ObjectFields(identifiers=tuple(identifiers), make=make, model=model),
                properties={"contract": "pay_as_you_go" if burner else "monthly"},
            )
            self.link("USES", user.id, phone_id, valid_from=self.years_before(0, 4))
            phone = _Thing(phone_id, label)
            block.phones.append(phone)
            block.phones_of.setdefault(user.id, []).append(phone)

    def emails(self, block: _Block, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            user = rng.choice(block.adults)
            local = f"{user.given}.{user.family}".lower().replace("'", "")
            address = f"{local}{rng.randrange(1, 100)}@{rng.choice(_EMAIL_DOMAINS)}"
            email_id = self.entity(
                EntityKind.OBJECT,
                "email",
                address,
                obj=ObjectFields(identifiers=(Identifier(scheme="email", value=address),)),
            )
            self.link("USES", user.id, email_id, valid_from=self.years_before(0, 8))

    # ---- events ---------------------------------------------------------------------------

    def calls(self, block: _Block, count: int) -> None:
        rng = self.rng
        phones = block.phones  # at least two in a full block
        contacts = [
            (mine, theirs)
            for person_id, friends in block.associates.items()
            for friend in friends
            for mine in block.phones_of.get(person_id, ())[:1]
            for theirs in block.phones_of.get(friend.id, ())[:1]
        ]
        earlier = [phone for hood in self.window for phone in hood.phones]
        for _ in range(count):
            roll = rng.random()
            if contacts and roll < 0.65:
                caller, callee = rng.choice(contacts)
            elif earlier and roll < 0.75:
                caller, callee = rng.choice(phones), rng.choice(earlier)
            else:
                caller, callee = rng.sample(phones, 2)
            sms = rng.random() < 0.5
            begun = self.some_time()
            ended = begun if sms else begun + timedelta(seconds=rng.randrange(5, 1800))
            kind = "SMS" if sms else "CALL"
            call_id = self.entity(
                EntityKind.EVENT,
                "phone_call",
                f"{'SMS' if sms else 'Call'} from {caller.label} to {callee.label}",
                created=ended,
                event=EventFields(
                    occurred_from=begun, occurred_to=ended, category="SMS" if sms else "Voice call"
                ),
                properties={
                    "call_type": kind,
                    "duration_seconds": int((ended - begun).total_seconds()),
                },
            )
            self.link("FROM", call_id, caller.id, created=ended)
            self.link("TO", call_id, callee.id, created=ended)

    def officer(self, block: _Block) -> _Officer:
        rng = self.rng
        if block.officers and rng.random() < 0.85:
            return rng.choice(block.officers)
        earlier = [officer for hood in self.window for officer in hood.officers]
        return rng.choice(earlier or block.officers)

    def parties(
        self, block: _Block, category: str, scene: _Address
    ) -> tuple[list[tuple[_Person, LinkRole]], list[_Thing]]:
        """Who took part in a crime and in which role, and the vehicles involved."""
        rng = self.rng
        parties: list[tuple[_Person, LinkRole]] = []
        vehicles: list[_Thing] = []
        involved: set[str] = set()

        def add(person: _Person, role: LinkRole) -> None:
            if person.id not in involved:
                involved.add(person.id)
                parties.append((person, role))

        if category == "Vehicle crime" and block.owned_vehicles:
            owner, vehicle = rng.choice(block.owned_vehicles)
            add(owner, LinkRole.VICTIM)
            vehicles.append(vehicle)
        elif category == "Burglary" and scene.residents:
            add(rng.choice(scene.residents), LinkRole.VICTIM)
        elif category not in _NO_VICTIM and rng.random() < 0.85:
            add(rng.choice(block.adults), LinkRole.VICTIM)
        if rng.random() < _SUSPECT_LIKELIHOOD.get(category, 0.45):
            victim_friends = block.associates.get(parties[0][0].id, []) if parties else []
            if victim_friends and rng.random() < 0.3:
                suspect = rng.choice(victim_friends)
            else:
                suspect = rng.choice(block.prone or block.adults)
            add(suspect, LinkRole.SUSPECT)
            partners = [friend for friend in block.associates.get(suspect.id, []) if friend.prone]
            if partners and rng.random() < 0.35:
                add(rng.choice(partners), LinkRole.SUSPECT)
            if rng.random() < 0.15 and block.vehicles_of.get(suspect.id):
                vehicle = rng.choice(block.vehicles_of[suspect.id])
                if vehicle not in vehicles:
                    vehicles.append(vehicle)
        if rng.random() < 0.25:
            add(rng.choice(block.adults), LinkRole.WITNESS)
        return parties, vehicles

    def crimes(self, block: _Block, count: int) -> None:
        rng = self.rng
        homes = [address for address in block.addresses if address.residential]
        shops = [address for address in block.addresses if not address.residential]
        for _ in range(count):
            category = _CATEGORIES.pick(rng)
            if category == "Burglary" and homes:
                scene = rng.choice(homes)
            elif category == "Shoplifting" and shops:
                scene = rng.choice(shops)
            else:
                scene = rng.choice(block.addresses)
            parties, vehicles = self.parties(block, category, scene)
            has_suspect = any(role is LinkRole.SUSPECT for _, role in parties)
            outcome = (_WITH_SUSPECT if has_suspect else _NO_SUSPECT).pick(rng)
            if outcome in _CONVICTED:
                parties = [
                    (person, LinkRole.OFFENDER if role is LinkRole.SUSPECT else role)
                    for person, role in parties
                ]
            begun = self.some_time()
            ended = begun + timedelta(seconds=rng.randrange(0, 6 * 3600))
            recorded = ended + timedelta(seconds=rng.randrange(600, 2 * 86_400))
            self.crime_no += 1
            reference = f"CR/{begun.year % 100:02d}/{self.crime_no:07d}"
            sensitive = category == "Violence and sexual offences" and rng.random() < 0.5
            markings = _SENSITIVE if sensitive else _OFFICIAL
            officer = self.officer(block)
            crime_id = self.entity(
                EntityKind.EVENT,
                "crime",
                f"{category}, {scene.label}",
                markings=markings,
                created=recorded,
                event=EventFields(
                    occurred_from=begun,
                    occurred_to=ended,
                    reference=reference,
                    category=category,
                    outcome=outcome,
                ),
            )
            self.link("OCCURRED_AT", crime_id, scene.id, created=recorded)
            self.link("INVESTIGATED_BY", crime_id, officer.id, created=recorded)
            for person, role in parties:
                self.link(
                    "PARTY_TO", person.id, crime_id, role=role, created=recorded, markings=markings
                )
            for vehicle in vehicles:
                self.link("INVOLVED_IN", vehicle.id, crime_id, created=recorded)
            block.crimes.append(
                _Crime(
                    id=crime_id,
                    reference=reference,
                    category=category,
                    outcome=outcome,
                    recorded=recorded,
                    scene=scene,
                    officer=officer,
                    markings=markings,
                    parties=parties,
                    vehicles=vehicles,
                )
            )

    def evidence(self, block: _Block, count: int) -> None:
        rng = self.rng
        crimes = block.crimes
        if not crimes:
            return
        likely = [crime for crime in crimes if crime.category in _EVIDENCE] or crimes
        with_suspect = [crime for crime in crimes if crime.accused()] or crimes
        for _ in range(count):
            crime = rng.choice(likely if rng.random() < 0.6 else with_suspect)
            subtype, template = rng.choice(_EVIDENCE.get(crime.category, _EVIDENCE[""]))
            label = template.format(n=rng.randrange(2, 60))
            evidence_id = self.entity(
                EntityKind.OBJECT,
                subtype,
                label,
                markings=crime.markings,
                created=crime.recorded,
                properties={"crime_reference": crime.reference},
            )
            self.link("INVOLVED_IN", evidence_id, crime.id, created=crime.recorded)
            crime.evidence.append(_Thing(evidence_id, label))

    # ---- cases, reports, exhibits ---------------------------------------------------------

    def cases(self, block: _Block) -> None:
        rng = self.rng
        for crime in block.crimes:
            has_suspect = bool(crime.accused())
            if not (crime.evidence or rng.random() < (0.9 if has_suspect else 0.25)):
                continue
            members = [
                CaseMember(entity_id=crime.id, role="crime"),
                CaseMember(entity_id=crime.scene.id, role="scene"),
            ]
            members += [CaseMember(entity_id=p.id, role=role.value) for p, role in crime.parties]
            members += [CaseMember(entity_id=v.id, role="vehicle") for v in crime.vehicles]
            members += [CaseMember(entity_id=e.id, role="evidence") for e in crime.evidence]
            status = (
                CaseStatus.OPEN
                if crime.outcome in _OPEN
                else CaseStatus.CHARGED
                if crime.outcome in _CHARGED
                else CaseStatus.CLOSED
                if has_suspect or rng.random() < 0.5
                else CaseStatus.SUSPENDED
            )
            opened = crime.recorded
            closed = None
            if status is CaseStatus.CLOSED:
                closed = opened + timedelta(seconds=rng.randrange(86_400, 200 * 86_400))
            self.case_no += 1
            case_id = self.uuid()
            self.out.append(
                Case(
                    id=case_id,
                    reference=f"CASE/{opened.year % 100:02d}/{self.case_no:06d}",
                    title=f"{crime.category} at {crime.scene.label}",
                    status=status,
                    description=f"Investigation of crime {crime.reference}.",
                    officer_in_case=crime.officer.label,
                    opened_at=opened,
                    closed_at=closed,
                    members=tuple(members),
                    markings=crime.markings,
                    provenance=self.provenance,
                    created_at=opened,
                    updated_at=closed or opened,
                )
            )
            crime.case_id = case_id
        for gang in block.gangs:
            opened = self.some_time()
            members = [CaseMember(entity_id=gang.id, role="organisation")]
            members += [CaseMember(entity_id=m, role="subject") for m in gang.members]
            in_gang = set(gang.members)
            members += [
                CaseMember(entity_id=crime.id, role="linked_crime")
                for crime in block.crimes
                if any(person.id in in_gang for person, _ in crime.parties)
            ]
            self.case_no += 1
            self.out.append(
                Case(
                    id=self.uuid(),
                    reference=f"OP/{gang.codeword}/{self.case_no:06d}",
                    title=f"Operation {gang.codeword.title()}",
                    description=f"Proactive investigation into the {gang.label} network.",
                    officer_in_case=self.officer(block).label,
                    opened_at=opened,
                    compartment=f"OP-{gang.codeword}",
                    members=tuple(members),
                    markings=gang.markings,
                    provenance=self.provenance,
                    created_at=opened,
                    updated_at=opened,
                )
            )

    def reports(self, block: _Block, count: int) -> None:
        rng = self.rng
        code, town = block.area[0], block.area[1]
        for _ in range(count):
            subject = rng.choice(block.prone or block.adults)
            subjects = [ReportSubject(entity_id=subject.id, role="subject")]
            friends = block.associates.get(subject.id, [])
            associate = rng.choice(friends) if friends else None
            vehicles = block.vehicles_of.get(subject.id, [])
            phones = block.phones_of.get(subject.id, [])
            gang = block.gang_of.get(subject.id)
            if associate is not None:
                subjects.append(ReportSubject(entity_id=associate.id, role="associate"))
            if vehicles:
                subjects.append(ReportSubject(entity_id=vehicles[0].id, role="vehicle"))
            if phones:
                subjects.append(ReportSubject(entity_id=phones[0].id, role="phone"))
            if subject.home is not None:
                subjects.append(ReportSubject(entity_id=subject.home.id, role="location"))
            if gang is not None:
                subjects.append(ReportSubject(entity_id=gang.id, role="organisation"))
            text = rng.choice(_REPORT_TEXTS).format(
                name=subject.label,
                associate=associate.label if associate else "an unknown male",
                vehicle=vehicles[0].label if vehicles else "dark hatchback",
                phone=phones[0].label if phones else "an unknown number",
                address=subject.home.label if subject.home else f"an address in {town}",
                drug=rng.choice(_DRUGS),
                weapon=rng.choice(_WEAPONS),
                area=code,
                town=town,
            )
            officer = self.officer(block)
            self.report_no += 1
            roll = rng.random()
            history: tuple[Regrading, ...] = ()
            conditions = None
            risk_ref = None
            if roll < 0.08:
                submitted = self.legacy_time()
                legacy = Grading5x5x5(
                    source_evaluation=_LEGACY_SOURCE.pick(rng),
                    intelligence_evaluation=_LEGACY_INTEL.pick(rng),
                    handling_code=_LEGACY_HANDLING.pick(rng),
                )
                markings = rng.choice(_LEGACY_MARKINGS)
                grading: Grading3x5x2 | Grading5x5x5 = legacy
                if rng.random() < 0.3:
                    grading = Grading3x5x2(
                        source_evaluation=_SOURCE_EVAL.pick(rng),
                        intelligence_assessment=_INTEL_ASSESS.pick(rng),
                        handling_code="P",
                    )
                    history = (
                        Regrading(
                            previous=legacy,
                            changed_at=self.some_time(),
                            changed_by=officer.label,
                            rationale="Re-evaluated under 3x5x2 at review; legacy grade kept.",
                        ),
                    )
            else:
                submitted = self.some_time()
                handling = "C" if rng.random() < 0.15 else "P"
                grading = Grading3x5x2(
                    source_evaluation=_SOURCE_EVAL.pick(rng),
                    intelligence_assessment=_INTEL_ASSESS.pick(rng),
                    handling_code=handling,
                )
                if handling == "C":
                    conditions = (
                        f"Not to be disseminated outside the {rng.choice(_UNITS)} without the "
                        "originator's consent; do not action without a risk assessment."
                    )
                    risk_ref = f"RA/{submitted.year % 100:02d}/{self.report_no:07d}"
                    markings = _CONDITIONS
                else:
                    marking_roll = rng.random()
                    markings = (
                        _SENSITIVE
                        if marking_roll < 0.8
                        else _OFFICIAL
                        if marking_roll < 0.95
                        else _SECRET
                    )
            if gang is not None:
                markings = Markings.combine(markings, gang.markings)
            updated = max((submitted, *(entry.changed_at for entry in history)))
            self.out.append(
                IntelligenceReport(
                    id=self.uuid(),
                    reference=f"IR/{submitted.year}/{self.report_no:07d}",
                    submitted_at=submitted,
                    submitted_by=officer.label,
                    originating_unit=f"{town} {rng.choice(_UNITS)}",
                    source_ref=f"SRC-{rng.getrandbits(40):010x}",
                    grading=grading,
                    grading_history=history,
                    text=text,
                    subjects=tuple(subjects),
                    sanitised=rng.random() < 0.9,
                    handling_conditions=conditions,
                    risk_assessment_ref=risk_ref,
                    fact_or_assessment="assessment" if rng.random() < 0.85 else "fact",
                    markings=markings,
                    provenance=self.provenance,
                    created_at=submitted,
                    updated_at=updated,
                )
            )

    def exhibits(self, block: _Block) -> None:
        rng = self.rng
        town = block.area[1]
        store = f"Property Store, {town} Police Station"
        for crime in block.crimes:
            suspects = crime.accused()
            items: list[tuple[_Thing, str, str, int]] = [
                (item, "image/jpeg", f"Photograph of exhibit: {item.label}", 3_000_000)
                for item in crime.evidence
            ]
            if crime.case_id is not None and suspects and rng.random() < 0.3:
                handsets = block.phones_of.get(suspects[0].id, [])
                if handsets:
                    items.append(
                        (
                            handsets[0],
                            "application/zip",
                            f"Download of handset {handsets[0].label}",
                            2_000_000_000,
                        )
                    )
            for item, media_type, description, size in items:
                exhibit_id = self.uuid()
                seized = crime.recorded + timedelta(seconds=rng.randrange(0, 3 * 86_400))
                custody = [
                    CustodyEvent(
                        at=seized + timedelta(seconds=rng.randrange(1800, 6 * 3600)),
                        from_holder=crime.officer.label,
                        to_holder=store,
                        purpose="Booked into property store",
                        location=store,
                    )
                ]
                for purpose, holder in (
                    ("Forensic examination", "Forensic Services"),
                    ("Returned after examination", store),
                ):
                    if rng.random() >= 0.5:
                        break
                    custody.append(
                        CustodyEvent(
                            at=custody[-1].at
                            + timedelta(seconds=rng.randrange(86_400, 30 * 86_400)),
                            from_holder=custody[-1].to_holder,
                            to_holder=holder,
                            purpose=purpose,
                            location=holder,
                        )
                    )
                self.exhibit_no += 1
                digest = hashlib.sha256(f"{self.seed}:{exhibit_id}".encode()).hexdigest()
                self.out.append(
                    Exhibit(
                        id=exhibit_id,
                        reference=f"{crime.officer.initials}/{self.exhibit_no}",
                        description=description,
                        object_entity_id=item.id,
                        case_id=crime.case_id,
                        seized_at=seized,
                        seized_by=crime.officer.label,
                        seized_from=suspects[0].label if suspects else crime.scene.label,
                        storage_location=store,
                        content_hash=digest,
                        media_type=media_type,
                        size_bytes=rng.randrange(size // 4, size),
                        custody=tuple(custody),
                        markings=crime.markings,
                        provenance=self.provenance,
                        created_at=seized,
                        updated_at=custody[-1].at,
                    )
                )

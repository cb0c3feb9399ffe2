//! The fixed vocabulary of the synthetic world: countries, cities, postcodes, phone ranges, names.
//!
//! Cities and postcode ranges are real so the data looks plausible to a reader; people, emails
//! and phone numbers are invented. Phone numbers come only from ranges that regulators keep free
//! for films and books, so no generated number can ring a real person: NANPA's 555-0100..0199
//! (US), Ofcom's drama numbers (GB) and the Bundesnetzagentur's Filmrufnummern (DE, Mitteilung
//! 148/2021). Countries without such a range known to us get no phone numbers.

use crate::draw::{OneOf, Weighted};

/// A country customers live in.
pub(crate) struct Country {
    /// ISO 3166-1 alpha-2 code, as the `country` attribute carries it.
    pub(crate) code: &'static str,
    /// ISO 4217 code of the shop's prices there.
    pub(crate) currency: Currency,
    /// The country's cities, weighted roughly by population.
    pub(crate) cities: Weighted<City>,
    /// How phone numbers of this country are written, when it has a fictional range.
    pub(crate) phone_style: Option<PhoneStyle>,
}

/// A city with its postcode rule, its people's language and its fictional phone range.
pub(crate) struct City {
    /// The city's name in its own language (UTF-8 on purpose).
    pub(crate) name: &'static str,
    /// How postcodes there look.
    pub(crate) postcode: Postcode,
    /// Which first and last names people there get.
    pub(crate) names: &'static NameSet,
    /// BCP 47 tag of the privacy notice shown there.
    pub(crate) language: &'static str,
    /// Fictional landline range of the city, if the regulator reserves one.
    pub(crate) landline: Option<PhoneRange>,
}

/// Postcode formats by country.
pub(crate) enum Postcode {
    /// `prefix` then `lo..=hi` padded to `width` digits: DE `10115`, LU `L-1009`, MT `VLT 1117`.
    Numeric {
        prefix: &'static str,
        lo: u32,
        hi: u32,
        width: usize,
    },
    /// Netherlands: four digits, a space and two letters (`1012 AB`).
    Dutch { lo: u32, hi: u32 },
    /// United Kingdom: an outward code, a space, a digit and two letters (`SW4 7AB`).
    British { outward: OneOf<&'static str> },
    /// Poland: two digits, a dash, three digits (`00-950`), from a five-digit range.
    Polish { lo: u32, hi: u32 },
}

/// A block of phone numbers reserved for fiction: `+{cc} {area} {block}{n}` with `n` of
/// `free_digits` digits.
pub(crate) struct PhoneRange {
    /// Country calling code without `+`.
    pub(crate) country_code: &'static str,
    /// Area or mobile prefix without the trunk `0`.
    pub(crate) area: &'static str,
    /// The fixed start of the subscriber number.
    pub(crate) block: &'static str,
    /// How many digits follow the block; the whole range is `10^free_digits` numbers.
    pub(crate) free_digits: u32,
}

/// How a country writes phone numbers; each style has several variants people really type.
#[derive(Clone, Copy)]
pub(crate) enum PhoneStyle {
    /// Germany: `030 23125123`, `+49 30 23125123`, `+49 (0)30 23125-123`, `0049 ...`.
    German,
    /// United Kingdom: `020 7946 0018`, `+44 20 7946 0018`, `+44 (0)20 ...`, `02079460018`.
    British,
    /// United States: `(415) 555-0132`, `415-555-0132`, `+1 415 555 0132`, `415.555.0132`.
    American,
}

/// Currencies orders are paid in, with what one euro is worth in them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Currency {
    Eur,
    Gbp,
    Usd,
    Chf,
    Pln,
    Isk,
}

impl Currency {
    /// The ISO 4217 code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::Eur => "EUR",
            Self::Gbp => "GBP",
            Self::Usd => "USD",
            Self::Chf => "CHF",
            Self::Pln => "PLN",
            Self::Isk => "ISK",
        }
    }

    /// Units of this currency per 1,000 euros: rounded 2025/26 rates, good enough for price
    /// levels (no one reconciles demo revenue against an exchange rate).
    pub(crate) fn per_thousand_euro(self) -> u32 {
        match self {
            Self::Eur => 1000,
            Self::Gbp => 860,
            Self::Usd => 1080,
            Self::Chf => 940,
            Self::Pln => 4300,
            Self::Isk => 150_000,
        }
    }

    /// Digits after the decimal point (ISO 4217 minor unit): ISK has none.
    pub(crate) fn decimals(self) -> u32 {
        match self {
            Self::Isk => 0,
            _ => 2,
        }
    }
}

/// First names with their grammatical gender, and family names in masculine and feminine form
/// (the same string where the language does not inflect them).
pub(crate) struct NameSet {
    pub(crate) first: OneOf<(&'static str, Gender)>,
    pub(crate) last: OneOf<(&'static str, &'static str)>,
}

/// Only used to pick the matching form of inflected family names (Polish, Icelandic).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gender {
    F,
    M,
}

use Gender::{F, M};

const GERMAN: NameSet = NameSet {
    first: OneOf::new(&[
        ("Anna", F),
        ("Lukas", M),
        ("Lena", F),
        ("Jonas", M),
        ("Marie", F),
        ("Felix", M),
        ("Sophie", F),
        ("Paul", M),
        ("Sabine", F),
        ("Jürgen", M),
        ("Hannah", F),
        ("Tobias", M),
    ]),
    last: OneOf::new(&[
        ("Müller", "Müller"),
        ("Schmidt", "Schmidt"),
        ("Schneider", "Schneider"),
        ("Fischer", "Fischer"),
        ("Weber", "Weber"),
        ("Meyer", "Meyer"),
        ("Wagner", "Wagner"),
        ("Becker", "Becker"),
        ("Keller", "Keller"),
        ("Hoffmann", "Hoffmann"),
        ("Schäfer", "Schäfer"),
        ("Koch", "Koch"),
    ]),
};

const FRENCH: NameSet = NameSet {
    first: OneOf::new(&[
        ("Camille", F),
        ("Louis", M),
        ("Léa", F),
        ("Hugo", M),
        ("Chloé", F),
        ("Lucas", M),
        ("Manon", F),
        ("Gabriel", M),
        ("Inès", F),
        ("Jules", M),
        ("Élodie", F),
        ("François", M),
    ]),
    last: OneOf::new(&[
        ("Martin", "Martin"),
        ("Bernard", "Bernard"),
        ("Dubois", "Dubois"),
        ("Thomas", "Thomas"),
        ("Robert", "Robert"),
        ("Richard", "Richard"),
        ("Petit", "Petit"),
        ("Durand", "Durand"),
        ("Leroy", "Leroy"),
        ("Moreau", "Moreau"),
        ("Lefèvre", "Lefèvre"),
        ("Girard", "Girard"),
    ]),
};

const DUTCH: NameSet = NameSet {
    first: OneOf::new(&[
        ("Emma", F),
        ("Daan", M),
        ("Julia", F),
        ("Sem", M),
        ("Tess", F),
        ("Milan", M),
        ("Sanne", F),
        ("Bram", M),
        ("Fleur", F),
        ("Thijs", M),
        ("Noor", F),
        ("Lucas", M),
    ]),
    last: OneOf::new(&[
        ("de Jong", "de Jong"),
        ("Jansen", "Jansen"),
        ("de Vries", "de Vries"),
        ("van den Berg", "van den Berg"),
        ("van Dijk", "van Dijk"),
        ("Bakker", "Bakker"),
        ("Visser", "Visser"),
        ("Smit", "Smit"),
        ("Meijer", "Meijer"),
        ("de Boer", "de Boer"),
        ("Mulder", "Mulder"),
        ("Bos", "Bos"),
    ]),
};

const ENGLISH: NameSet = NameSet {
    first: OneOf::new(&[
        ("Olivia", F),
        ("Oliver", M),
        ("Amelia", F),
        ("George", M),
        ("Isla", F),
        ("Harry", M),
        ("Emily", F),
        ("Jack", M),
        ("Sophia", F),
        ("James", M),
        ("Ava", F),
        ("Michael", M),
        ("Zoë", F),
        ("Noah", M),
    ]),
    last: OneOf::new(&[
        ("Smith", "Smith"),
        ("Jones", "Jones"),
        ("Taylor", "Taylor"),
        ("Brown", "Brown"),
        ("Williams", "Williams"),
        ("Wilson", "Wilson"),
        ("Johnson", "Johnson"),
        ("Davies", "Davies"),
        ("Miller", "Miller"),
        ("Garcia", "Garcia"),
        ("Clarke", "Clarke"),
        ("O'Brien", "O'Brien"),
    ]),
};

const SPANISH: NameSet = NameSet {
    first: OneOf::new(&[
        ("Lucía", F),
        ("Hugo", M),
        ("Martina", F),
        ("Mateo", M),
        ("Sofía", F),
        ("Daniel", M),
        ("Paula", F),
        ("Pablo", M),
        ("Carmen", F),
        ("Javier", M),
        ("Alba", F),
        ("Álvaro", M),
    ]),
    last: OneOf::new(&[
        ("García", "García"),
        ("Rodríguez", "Rodríguez"),
        ("González", "González"),
        ("Fernández", "Fernández"),
        ("López", "López"),
        ("Martínez", "Martínez"),
        ("Sánchez", "Sánchez"),
        ("Pérez", "Pérez"),
        ("Gómez", "Gómez"),
        ("Ruiz", "Ruiz"),
        ("Díaz", "Díaz"),
        ("Moreno", "Moreno"),
    ]),
};

const ITALIAN: NameSet = NameSet {
    first: OneOf::new(&[
        ("Giulia", F),
        ("Leonardo", M),
        ("Sofia", F),
        ("Francesco", M),
        ("Aurora", F),
        ("Alessandro", M),
        ("Chiara", F),
        ("Lorenzo", M),
        ("Beatrice", F),
        ("Matteo", M),
        ("Ginevra", F),
        ("Niccolò", M),
    ]),
    last: OneOf::new(&[
        ("Rossi", "Rossi"),
        ("Russo", "Russo"),
        ("Ferrari", "Ferrari"),
        ("Esposito", "Esposito"),
        ("Bianchi", "Bianchi"),
        ("Romano", "Romano"),
        ("Colombo", "Colombo"),
        ("Ricci", "Ricci"),
        ("Marino", "Marino"),
        ("Greco", "Greco"),
        ("Bruno", "Bruno"),
        ("Gallo", "Gallo"),
    ]),
};

const POLISH: NameSet = NameSet {
    first: OneOf::new(&[
        ("Zuzanna", F),
        ("Antoni", M),
        ("Julia", F),
        ("Jan", M),
        ("Maja", F),
        ("Jakub", M),
        ("Zofia", F),
        ("Łukasz", M),
        ("Katarzyna", F),
        ("Piotr", M),
        ("Agnieszka", F),
        ("Michał", M),
    ]),
    last: OneOf::new(&[
        ("Nowak", "Nowak"),
        ("Kowalski", "Kowalska"),
        ("Wiśniewski", "Wiśniewska"),
        ("Wójcik", "Wójcik"),
        ("Kowalczyk", "Kowalczyk"),
        ("Kamiński", "Kamińska"),
        ("Lewandowski", "Lewandowska"),
        ("Woźniak", "Woźniak"),
        ("Mazur", "Mazur"),
        ("Krawczyk", "Krawczyk"),
        ("Zając", "Zając"),
        ("Król", "Król"),
    ]),
};

const ICELANDIC: NameSet = NameSet {
    first: OneOf::new(&[
        ("Guðrún", F),
        ("Jón", M),
        ("Anna", F),
        ("Sigurður", M),
        ("Kristín", F),
        ("Gunnar", M),
        ("Sigríður", F),
        ("Ólafur", M),
        ("Helga", F),
        ("Einar", M),
    ]),
    last: OneOf::new(&[
        ("Jónsson", "Jónsdóttir"),
        ("Gunnarsson", "Gunnarsdóttir"),
        ("Sigurðsson", "Sigurðardóttir"),
        ("Magnússon", "Magnúsdóttir"),
        ("Einarsson", "Einarsdóttir"),
        ("Ólafsson", "Ólafsdóttir"),
    ]),
};

const MALTESE: NameSet = NameSet {
    first: OneOf::new(&[
        ("Maria", F),
        ("Joseph", M),
        ("Francesca", F),
        ("Luke", M),
        ("Elena", F),
        ("Matthew", M),
        ("Martina", F),
        ("Daniel", M),
    ]),
    last: OneOf::new(&[
        ("Borg", "Borg"),
        ("Camilleri", "Camilleri"),
        ("Vella", "Vella"),
        ("Farrugia", "Farrugia"),
        ("Zammit", "Zammit"),
        ("Galea", "Galea"),
        ("Micallef", "Micallef"),
        ("Grech", "Grech"),
    ]),
};

/// A city without a fictional phone range, with a plain numeric postcode range.
const fn city(
    name: &'static str,
    lo: u32,
    hi: u32,
    width: usize,
    names: &'static NameSet,
    language: &'static str,
) -> City {
    City {
        name,
        postcode: Postcode::Numeric {
            prefix: "",
            lo,
            hi,
            width,
        },
        names,
        language,
        landline: None,
    }
}

/// A city with a fictional landline range.
const fn city_with_phones(
    name: &'static str,
    postcode: Postcode,
    names: &'static NameSet,
    language: &'static str,
    landline: PhoneRange,
) -> City {
    City {
        name,
        postcode,
        names,
        language,
        landline: Some(landline),
    }
}

const fn range(
    country_code: &'static str,
    area: &'static str,
    block: &'static str,
    free_digits: u32,
) -> PhoneRange {
    PhoneRange {
        country_code,
        area,
        block,
        free_digits,
    }
}

const fn five(lo: u32, hi: u32) -> Postcode {
    Postcode::Numeric {
        prefix: "",
        lo,
        hi,
        width: 5,
    }
}

/// Ofcom's drama mobile range, 07700 900000..900999, usable for anyone in the UK.
pub(crate) const GB_MOBILE: PhoneRange = range("44", "7700", "900", 3);

/// Countries with their share of customers in parts per thousand: a Germany-based retailer with
/// most customers in the DACH region and western Europe, some in the US and GB, and three rare
/// countries (LU, IS, MT) so that some aggregate cells fall under the minimum group size.
pub(crate) const COUNTRIES: Weighted<Country> = Weighted::new(&[
    (
        Country {
            code: "DE",
            currency: Currency::Eur,
            phone_style: Some(PhoneStyle::German),
            cities: Weighted::new(&[
                (
                    city_with_phones(
                        "Berlin",
                        five(10115, 14199),
                        &GERMAN,
                        "de",
                        range("49", "30", "23125", 3),
                    ),
                    30,
                ),
                (
                    city_with_phones(
                        "Hamburg",
                        five(20095, 22769),
                        &GERMAN,
                        "de",
                        range("49", "40", "66969", 3),
                    ),
                    20,
                ),
                (
                    city_with_phones(
                        "München",
                        five(80331, 81929),
                        &GERMAN,
                        "de",
                        range("49", "89", "99998", 3),
                    ),
                    18,
                ),
                (
                    city_with_phones(
                        "Köln",
                        five(50667, 51149),
                        &GERMAN,
                        "de",
                        range("49", "221", "4710", 3),
                    ),
                    14,
                ),
                (
                    city_with_phones(
                        "Frankfurt am Main",
                        five(60306, 60599),
                        &GERMAN,
                        "de",
                        range("49", "69", "90009", 3),
                    ),
                    10,
                ),
                (city("Leipzig", 4103, 4357, 5, &GERMAN, "de"), 8),
            ]),
        },
        240,
    ),
    (
        Country {
            code: "FR",
            currency: Currency::Eur,
            phone_style: None,
            cities: Weighted::new(&[
                (city("Paris", 75001, 75020, 5, &FRENCH, "fr"), 40),
                (city("Lyon", 69001, 69009, 5, &FRENCH, "fr"), 15),
                (city("Marseille", 13001, 13016, 5, &FRENCH, "fr"), 15),
                (city("Toulouse", 31000, 31500, 5, &FRENCH, "fr"), 10),
                (city("Bordeaux", 33000, 33800, 5, &FRENCH, "fr"), 10),
                (city("Lille", 59000, 59800, 5, &FRENCH, "fr"), 10),
            ]),
        },
        150,
    ),
    (
        Country {
            code: "US",
            currency: Currency::Usd,
            phone_style: Some(PhoneStyle::American),
            cities: Weighted::new(&[
                (
                    city_with_phones(
                        "New York",
                        five(10001, 10282),
                        &ENGLISH,
                        "en-US",
                        range("1", "212", "55501", 2),
                    ),
                    30,
                ),
                (
                    city_with_phones(
                        "San Francisco",
                        five(94102, 94134),
                        &ENGLISH,
                        "en-US",
                        range("1", "415", "55501", 2),
                    ),
                    20,
                ),
                (
                    city_with_phones(
                        "Chicago",
                        five(60601, 60661),
                        &ENGLISH,
                        "en-US",
                        range("1", "312", "55501", 2),
                    ),
                    20,
                ),
                (
                    city_with_phones(
                        "Austin",
                        five(78701, 78759),
                        &ENGLISH,
                        "en-US",
                        range("1", "512", "55501", 2),
                    ),
                    10,
                ),
                (
                    city_with_phones(
                        "Seattle",
                        five(98101, 98199),
                        &ENGLISH,
                        "en-US",
                        range("1", "206", "55501", 2),
                    ),
                    10,
                ),
                (
                    city_with_phones(
                        "Boston",
                        five(2108, 2137),
                        &ENGLISH,
                        "en-US",
                        range("1", "617", "55501", 2),
                    ),
                    10,
                ),
            ]),
        },
        120,
    ),
    (
        Country {
            code: "GB",
            currency: Currency::Gbp,
            phone_style: Some(PhoneStyle::British),
            cities: Weighted::new(&[
                (
                    city_with_phones(
                        "London",
                        Postcode::British {
                            outward: OneOf::new(&["N1", "E2", "SE1", "SW4", "NW3", "W5", "EC1V"]),
                        },
                        &ENGLISH,
                        "en-GB",
                        range("44", "20", "79460", 3),
                    ),
                    40,
                ),
                (
                    city_with_phones(
                        "Manchester",
                        Postcode::British {
                            outward: OneOf::new(&["M1", "M4", "M14", "M20"]),
                        },
                        &ENGLISH,
                        "en-GB",
                        range("44", "161", "4960", 3),
                    ),
                    15,
                ),
                (
                    city_with_phones(
                        "Birmingham",
                        Postcode::British {
                            outward: OneOf::new(&["B1", "B5", "B15", "B29"]),
                        },
                        &ENGLISH,
                        "en-GB",
                        range("44", "121", "4960", 3),
                    ),
                    15,
                ),
                (
                    city_with_phones(
                        "Leeds",
                        Postcode::British {
                            outward: OneOf::new(&["LS1", "LS6", "LS8"]),
                        },
                        &ENGLISH,
                        "en-GB",
                        range("44", "113", "4960", 3),
                    ),
                    10,
                ),
                (
                    city_with_phones(
                        "Bristol",
                        Postcode::British {
                            outward: OneOf::new(&["BS1", "BS6", "BS8"]),
                        },
                        &ENGLISH,
                        "en-GB",
                        range("44", "117", "4960", 3),
                    ),
                    10,
                ),
                (
                    city_with_phones(
                        "Edinburgh",
                        Postcode::British {
                            outward: OneOf::new(&["EH1", "EH3", "EH10"]),
                        },
                        &ENGLISH,
                        "en-GB",
                        range("44", "131", "4960", 3),
                    ),
                    10,
                ),
            ]),
        },
        110,
    ),
    (
        Country {
            code: "NL",
            currency: Currency::Eur,
            phone_style: None,
            cities: Weighted::new(&[
                (dutch("Amsterdam", 1011, 1109), 35),
                (dutch("Rotterdam", 3011, 3089), 25),
                (dutch("Den Haag", 2491, 2599), 20),
                (dutch("Utrecht", 3511, 3585), 12),
                (dutch("Eindhoven", 5611, 5658), 8),
            ]),
        },
        90,
    ),
    (
        Country {
            code: "AT",
            currency: Currency::Eur,
            phone_style: None,
            cities: Weighted::new(&[
                (city("Wien", 1010, 1230, 4, &GERMAN, "de-AT"), 55),
                (city("Graz", 8010, 8055, 4, &GERMAN, "de-AT"), 15),
                (city("Linz", 4020, 4040, 4, &GERMAN, "de-AT"), 12),
                (city("Salzburg", 5020, 5026, 4, &GERMAN, "de-AT"), 10),
                (city("Innsbruck", 6020, 6080, 4, &GERMAN, "de-AT"), 8),
            ]),
        },
        60,
    ),
    (
        Country {
            code: "ES",
            currency: Currency::Eur,
            phone_style: None,
            cities: Weighted::new(&[
                (city("Madrid", 28001, 28055, 5, &SPANISH, "es"), 40),
                (city("Barcelona", 8001, 8042, 5, &SPANISH, "es"), 30),
                (city("Valencia", 46001, 46026, 5, &SPANISH, "es"), 12),
                (city("Sevilla", 41001, 41020, 5, &SPANISH, "es"), 10),
                (city("Bilbao", 48001, 48015, 5, &SPANISH, "es"), 8),
            ]),
        },
        60,
    ),
    (
        Country {
            code: "IT",
            currency: Currency::Eur,
            phone_style: None,
            cities: Weighted::new(&[
                (city("Roma", 118, 199, 5, &ITALIAN, "it"), 35),
                (city("Milano", 20121, 20162, 5, &ITALIAN, "it"), 30),
                (city("Torino", 10121, 10156, 5, &ITALIAN, "it"), 13),
                (city("Napoli", 80121, 80147, 5, &ITALIAN, "it"), 12),
                (city("Bologna", 40121, 40141, 5, &ITALIAN, "it"), 10),
            ]),
        },
        60,
    ),
    (
        Country {
            code: "CH",
            currency: Currency::Chf,
            phone_style: None,
            cities: Weighted::new(&[
                (city("Zürich", 8001, 8064, 4, &GERMAN, "de-CH"), 35),
                (city("Genève", 1201, 1209, 4, &FRENCH, "fr-CH"), 20),
                (city("Basel", 4001, 4059, 4, &GERMAN, "de-CH"), 17),
                (city("Bern", 3001, 3030, 4, &GERMAN, "de-CH"), 15),
                (city("Lausanne", 1003, 1018, 4, &FRENCH, "fr-CH"), 13),
            ]),
        },
        50,
    ),
    (
        Country {
            code: "PL",
            currency: Currency::Pln,
            phone_style: None,
            cities: Weighted::new(&[
                (polish("Warszawa", 1, 4999), 40),
                (polish("Kraków", 30001, 31999), 20),
                (polish("Wrocław", 50001, 54999), 15),
                (polish("Poznań", 60001, 61999), 13),
                (polish("Gdańsk", 80001, 80999), 12),
            ]),
        },
        40,
    ),
    (
        Country {
            code: "LU",
            currency: Currency::Eur,
            phone_style: None,
            cities: Weighted::new(&[
                (
                    prefixed("Luxembourg", "L-", 1009, 2999, &FRENCH, "fr-LU"),
                    80,
                ),
                (
                    prefixed("Esch-sur-Alzette", "L-", 4001, 4499, &FRENCH, "fr-LU"),
                    20,
                ),
            ]),
        },
        8,
    ),
    (
        Country {
            code: "IS",
            currency: Currency::Isk,
            phone_style: None,
            cities: Weighted::new(&[
                (city("Reykjavík", 101, 116, 3, &ICELANDIC, "is"), 80),
                (city("Akureyri", 600, 603, 3, &ICELANDIC, "is"), 20),
            ]),
        },
        6,
    ),
    (
        Country {
            code: "MT",
            currency: Currency::Eur,
            phone_style: None,
            cities: Weighted::new(&[
                (
                    prefixed("Valletta", "VLT ", 1000, 1999, &MALTESE, "en-MT"),
                    30,
                ),
                (
                    prefixed("Sliema", "SLM ", 1000, 1999, &MALTESE, "en-MT"),
                    35,
                ),
                (
                    prefixed("Birkirkara", "BKR ", 1000, 4999, &MALTESE, "en-MT"),
                    35,
                ),
            ]),
        },
        6,
    ),
]);

const fn dutch(name: &'static str, lo: u32, hi: u32) -> City {
    City {
        name,
        postcode: Postcode::Dutch { lo, hi },
        names: &DUTCH,
        language: "nl",
        landline: None,
    }
}

const fn polish(name: &'static str, lo: u32, hi: u32) -> City {
    City {
        name,
        postcode: Postcode::Polish { lo, hi },
        names: &POLISH,
        language: "pl",
        landline: None,
    }
}

const fn prefixed(
    name: &'static str,
    prefix: &'static str,
    lo: u32,
    hi: u32,
    names: &'static NameSet,
    language: &'static str,
) -> City {
    City {
        name,
        postcode: Postcode::Numeric {
            prefix,
            lo,
            hi,
            width: 4,
        },
        names,
        language,
        landline: None,
    }
}

/// Letters Dutch postcodes use in their suffix (PostNL leaves out F, I, O, Q, U and Y).
pub(crate) const DUTCH_LETTERS: OneOf<char> = OneOf::new(&[
    'A', 'B', 'C', 'D', 'E', 'G', 'H', 'J', 'K', 'L', 'M', 'N', 'P', 'R', 'S', 'T', 'V', 'W', 'X',
    'Z',
]);

/// Letters the inward code of a UK postcode may end in (Royal Mail leaves out C, I, K, M, O, V).
pub(crate) const BRITISH_INWARD_LETTERS: OneOf<char> = OneOf::new(&[
    'A', 'B', 'D', 'E', 'F', 'G', 'H', 'J', 'L', 'N', 'P', 'Q', 'R', 'S', 'T', 'U', 'W', 'X', 'Y',
    'Z',
]);

/// RFC 2606 second-level domains reserved for examples, weighted like a real mix of providers.
pub(crate) const EMAIL_DOMAINS: Weighted<&str> = Weighted::new(&[
    ("example.com", 60),
    ("example.org", 25),
    ("example.net", 15),
]);

/// Interests a shop derives from browsing (the `interest` attribute).
pub(crate) const INTERESTS: Weighted<&str> = Weighted::new(&[
    ("fashion", 28),
    ("home", 22),
    ("outdoor", 18),
    ("electronics", 18),
    ("beauty", 14),
]);

/// Product slugs per interest for page paths, one list for all interests to keep the table short.
pub(crate) const PRODUCTS: OneOf<&str> = OneOf::new(&[
    "rain-jacket",
    "trail-shoes",
    "linen-shirt",
    "wool-scarf",
    "desk-lamp",
    "cast-iron-pan",
    "bed-linen-set",
    "headphones",
    "phone-charger",
    "smart-speaker",
    "face-cream",
    "shampoo-bar",
    "camping-stove",
    "yoga-mat",
]);

/// Where page views come from; `(direct)` is how analytics tools label a missing referrer.
pub(crate) const REFERRERS: Weighted<&str> = Weighted::new(&[
    ("(direct)", 40),
    ("https://search.example.net/", 30),
    ("https://social.example.org/", 15),
    ("https://newsletter.example.com/", 10),
    ("https://blog.example.org/best-of-2026", 5),
]);

/// Colours for the `favourite_colour` attribute the example policy does not list.
pub(crate) const COLOURS: OneOf<&str> = OneOf::new(&[
    "blue", "green", "red", "black", "yellow", "purple", "orange", "white",
]);

/// Values of the `health_allergies` attribute, special-category data the policy forbids.
pub(crate) const ALLERGIES: OneOf<&str> =
    OneOf::new(&["lactose", "gluten", "nuts", "pollen", "shellfish"]);

/// Devices analytics sees (the `device_type` attribute); GA4 reports these three categories.
pub(crate) const DEVICES: Weighted<&str> =
    Weighted::new(&[("desktop", 42), ("mobile", 48), ("tablet", 10)]);

/// Where consent was collected.
pub(crate) const CONSENT_SOURCES: Weighted<&str> = Weighted::new(&[
    ("web_form", 45),
    ("double_opt_in", 30),
    ("checkout", 20),
    ("call_centre", 5),
]);

/// NPS answers 0..=10, weighted like a well-liked retailer (about +30: 52% promoters, 22%
/// detractors).
pub(crate) const NPS_ANSWERS: Weighted<u8> = Weighted::new(&[
    (0, 2),
    (1, 1),
    (2, 1),
    (3, 2),
    (4, 3),
    (5, 5),
    (6, 8),
    (7, 11),
    (8, 15),
    (9, 22),
    (10, 30),
]);

/// Operating systems an app crash report names.
pub(crate) const APP_PLATFORMS: OneOf<&str> = OneOf::new(&["android", "ios"]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_shares_add_up_to_a_thousand() {
        let total: u32 = COUNTRIES.entries().iter().map(|(_, w)| w).sum();
        assert_eq!(total, 1000);
    }

    #[test]
    fn country_codes_are_unique_iso_alpha2() {
        let mut codes: Vec<&str> = COUNTRIES.entries().iter().map(|(c, _)| c.code).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), COUNTRIES.entries().len());
    }

    #[test]
    fn phone_ranges_belong_to_countries_with_a_phone_style() {
        for (country, _) in COUNTRIES.entries() {
            for (city, _) in country.cities.entries() {
                if city.landline.is_some() {
                    assert!(
                        country.phone_style.is_some(),
                        "{} in {} has a landline range but its country no phone style",
                        city.name,
                        country.code
                    );
                }
            }
        }
    }
}

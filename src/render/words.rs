//! The words pressfeed puts on its pages for people (the index, the feed stylesheet), in
//! each [`PageLang`].

use crate::core::lang::PageLang;

/// One language's words.
#[derive(Debug)]
pub struct Words {
    pub source: &'static str,
    pub feeds: &'static str,
    pub last_refresh: &'static str,
    pub items: &'static str,
    pub failures: &'static str,
    pub last_error: &'static str,
    pub never: &'static str,
    /// After the OPML link: what it is for.
    pub opml_hint: &'static str,
    /// The feed stylesheet: what this page is.
    pub feed_note: &'static str,
    pub subscribe: &'static str,
    /// How to subscribe, before the feed's address.
    pub subscribe_how: &'static str,
    pub latest: &'static str,
    pub no_items: &'static str,
    pub site: &'static str,
    /// "N sources".
    sources: fn(usize) -> String,
    /// "N failing".
    failing: fn(usize) -> String,
}

impl Words {
    pub fn of(lang: PageLang) -> &'static Words {
        match lang {
            PageLang::Ru => &RU,
            PageLang::Kk => &KK,
            PageLang::En => &EN,
        }
    }

    pub fn sources(&self, n: usize) -> String {
        (self.sources)(n)
    }

    pub fn failing(&self, n: usize) -> String {
        (self.failing)(n)
    }
}

static EN: Words = Words {
    source: "Source",
    feeds: "Feeds",
    last_refresh: "Last refresh",
    items: "Items",
    failures: "Failures",
    last_error: "Last error",
    never: "never",
    opml_hint: "to subscribe to all at once.",
    feed_note: "This is a web feed. A feed reader shows its new items as they are published.",
    subscribe: "Subscribe",
    subscribe_how: "Copy this address into your feed reader (for example Feedly, Inoreader, \
                    NetNewsWire or Thunderbird):",
    latest: "Latest items",
    no_items: "No items yet.",
    site: "Website",
    sources: |n| format!("{n} source{}", if n == 1 { "" } else { "s" }),
    failing: |n| format!("{n} failing"),
};

static RU: Words = Words {
    source: "Источник",
    feeds: "Ленты",
    last_refresh: "Последнее обновление",
    items: "Записей",
    failures: "Сбоев",
    last_error: "Последняя ошибка",
    never: "никогда",
    opml_hint: "— чтобы подписаться на всё сразу.",
    feed_note: "Это лента новостей. Программа для чтения лент покажет новые записи, как только \
                они появятся.",
    subscribe: "Подписаться",
    subscribe_how: "Скопируйте этот адрес в программу для чтения лент (например, Feedly, \
                    Inoreader, NetNewsWire или Thunderbird):",
    latest: "Последние записи",
    no_items: "Записей пока нет.",
    site: "Сайт",
    sources: |n| {
        format!(
            "{n} {}",
            ru_plural(n, "источник", "источника", "источников")
        )
    },
    failing: |n| format!("с ошибками: {n}"),
};

static KK: Words = Words {
    source: "Дереккөз",
    feeds: "Арналар",
    last_refresh: "Соңғы жаңарту",
    items: "Жазбалар",
    failures: "Сәтсіздіктер",
    last_error: "Соңғы қате",
    never: "ешқашан",
    opml_hint: "— барлығына бірден жазылу үшін.",
    feed_note: "Бұл — жаңалықтар арнасы. Арна оқитын бағдарлама жаңа жазбаларды жарияланған \
                бойда көрсетеді.",
    subscribe: "Жазылу",
    subscribe_how: "Осы мекенжайды арна оқитын бағдарламаға көшіріңіз (мысалы, Feedly, \
                    Inoreader, NetNewsWire немесе Thunderbird):",
    latest: "Соңғы жазбалар",
    no_items: "Әзірге жазба жоқ.",
    site: "Сайт",
    // Kazakh nouns after a numeral stay singular.
    sources: |n| format!("{n} дереккөз"),
    failing: |n| format!("қатемен: {n}"),
};

/// Russian noun form after a numeral: 1, 21 источник; 2–4, 22 источника; 5–20, 11–14
/// источников.
fn ru_plural(n: usize, one: &'static str, few: &'static str, many: &'static str) -> &'static str {
    match (n % 10, n % 100) {
        (1, r) if r != 11 => one,
        (2..=4, r) if !(12..=14).contains(&r) => few,
        _ => many,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_each_language() {
        let cases: &[(PageLang, usize, &str)] = &[
            (PageLang::En, 1, "1 source"),
            (PageLang::En, 2, "2 sources"),
            (PageLang::Ru, 1, "1 источник"),
            (PageLang::Ru, 3, "3 источника"),
            (PageLang::Ru, 5, "5 источников"),
            (PageLang::Ru, 11, "11 источников"),
            (PageLang::Ru, 12, "12 источников"),
            (PageLang::Ru, 21, "21 источник"),
            (PageLang::Ru, 22, "22 источника"),
            (PageLang::Kk, 5, "5 дереккөз"),
        ];
        for (lang, n, want) in cases {
            assert_eq!(Words::of(*lang).sources(*n), *want);
        }
    }
}

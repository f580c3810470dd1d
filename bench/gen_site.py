#!/usr/bin/env python3
"""Generates a synthetic WordPress-style news site of N articles as static files.

Deterministic for a given (N, seed): the same bytes every time, so runs compare.

Layout (served by nginx with `index index.html`):
  /                      listing page 1 (newest 10 articles)
  /page/{n}/             listing page n, with `a.next.page-numbers` to n+1
  /{yyyy}/{mm}/{dd}/{slug}-{i}/  one article, ~10 KB page, ~4 KB Russian body
  /robots.txt

Usage: gen_site.py OUT_DIR N [--seed S]
"""

import argparse
import datetime as dt
import html
import json
import os
import random

WORDS = (
    "прокуратура генеральная республики казахстан пресс-служба сообщает что в ходе проверки "
    "было установлено нарушение законодательства о государственных закупках по результатам "
    "надзора возбуждено уголовное дело в отношении должностных лиц акимата области средства "
    "бюджета возвращены государству в полном объеме граждане обратились с жалобой на действия "
    "сотрудников органов внутренних дел защита прав предпринимателей остается приоритетом "
    "надзорной деятельности совместно с антикоррупционной службой проведены мероприятия по "
    "профилактике правонарушений среди несовершеннолетних суд вынес приговор осужденный "
    "приговорен к лишению свободы сроком на лет с конфискацией имущества Астана Алматы Шымкент "
    "Караганда Актобе Павлодар Костанай Атырау Кызылорда Туркестан Жезказган Семей"
).split()

BASE_DATE = dt.datetime(2024, 6, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))


def sentence(rng, lo=8, hi=18):
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    s = " ".join(words)
    return s[0].upper() + s[1:] + "."


def paragraph(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 5)))


def body(rng, target=4096):
    parts = []
    size = 0
    while size < target:
        p = paragraph(rng)
        if rng.random() < 0.2:
            p = p.replace(".", ' <a href="https://www.gov.kz/memleket/entities/prokuror">подробнее</a>.', 1)
        if rng.random() < 0.15:
            p = "<strong>" + p + "</strong>"
        parts.append("<p>" + p + "</p>")
        size += len(p.encode())
    if rng.random() < 0.5:
        parts.insert(1, '<figure class="wp-block-image"><img src="/wp-content/uploads/photo-%d.jpg" '
                        'alt="фото" width="800" height="533" loading="lazy"></figure>' % rng.randint(1, 999))
    return "\n".join(parts)


def when(i, n):
    """Article i (0 = oldest) of n: one article every 3 hours, newest last."""
    return BASE_DATE + dt.timedelta(hours=3 * i)


def slug(i):
    return "soobshchenie-press-sluzhby-%d" % i


def article_path(i, n):
    d = when(i, n)
    return "/%04d/%02d/%02d/%s/" % (d.year, d.month, d.day, slug(i))


def head(title, canonical, extra=""):
    return f"""<!DOCTYPE html>
<html lang="ru-RU">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} &#8212; Новости Казахстана</title>
<meta name="robots" content="index, follow, max-image-preview:large">
<link rel="canonical" href="{canonical}">
<link rel="stylesheet" id="wp-block-library-css" href="/wp-includes/css/dist/block-library/style.min.css?ver=6.5.2" media="all">
<link rel="stylesheet" id="theme-style-css" href="/wp-content/themes/newsportal/style.css?ver=2.1" media="all">
<script src="/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" id="jquery-core-js"></script>
<script>window._wpemojiSettings = {{"baseUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/15.0.3\\/72x72\\/","ext":".png","svgUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/15.0.3\\/svg\\/","svgExt":".svg"}};</script>
<link rel="alternate" type="application/rss+xml" title="Новости &raquo; Лента" href="/feed/">
{extra}
</head>
"""


def nav():
    items = "".join(f'<li class="menu-item"><a href="/category/{c}/">{t}</a></li>'
                    for c, t in [("politika", "Политика"), ("obshchestvo", "Общество"),
                                 ("ekonomika", "Экономика"), ("proisshestviya", "Происшествия"),
                                 ("sport", "Спорт"), ("kultura", "Культура")])
    return f"""<header id="masthead" class="site-header"><div class="site-branding">
<p class="site-title"><a href="/" rel="home">Новости Казахстана</a></p>
<p class="site-description">Главные новости дня</p></div>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">{items}</ul></nav>
<form role="search" method="get" class="search-form" action="/"><input type="search" name="s"></form>
</header>
"""


def sidebar(rng, n):
    recent = "".join(f'<li><a href="{article_path(j, n)}">{html.escape(sentence(rng, 4, 7))}</a></li>'
                     for j in range(max(0, n - 5), n))
    tags = " ".join(f'<a href="/tag/{w}/" class="tag-cloud-link">{w}</a>' for w in WORDS[:20])
    return f"""<aside id="secondary" class="widget-area">
<section class="widget widget_recent_entries"><h2 class="widget-title">Свежие записи</h2><ul>{recent}</ul></section>
<section class="widget widget_tag_cloud"><h2 class="widget-title">Метки</h2><div class="tagcloud">{tags}</div></section>
<section class="widget widget_text"><div class="textwidget"><p>{sentence(rng)}</p><div class="td-a-rec"><ins class="adsbygoogle" data-ad-client="ca-pub-0000"></ins></div></div></section>
</aside>
"""


def footer():
    return """<footer id="colophon" class="site-footer"><div class="site-info">&copy; 2024 Новости Казахстана. Все права защищены.
При использовании материалов ссылка обязательна.</div></footer>
<script src="/wp-content/themes/newsportal/js/navigation.js?ver=2.1" id="navigation-js"></script>
<script>(function(){var s=document.createElement('script');s.async=true;s.src='https://counter.example/c.js';document.head.appendChild(s);})();</script>
</body></html>
"""


def article_page(i, n, seed):
    rng = random.Random(seed * 1_000_003 + i)
    title = sentence(rng, 5, 10)[:-1]
    url = article_path(i, n)
    published = when(i, n)
    modified = published + dt.timedelta(minutes=rng.randint(0, 90))
    content = body(rng)
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "NewsArticle", "headline": title, "datePublished": published.isoformat(),
             "dateModified": modified.isoformat(), "author": {"@type": "Person", "name": "Пресс-служба"},
             "mainEntityOfPage": url, "inLanguage": "ru-RU",
             "image": {"@type": "ImageObject", "url": "/wp-content/uploads/photo-%d.jpg" % i}},
            {"@type": "BreadcrumbList", "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Главная", "item": "/"},
                {"@type": "ListItem", "position": 2, "name": title}]},
        ],
    }
    extra = (f'<meta property="og:type" content="article">\n'
             f'<meta property="og:title" content="{html.escape(title)}">\n'
             f'<meta property="article:published_time" content="{published.isoformat()}">\n'
             f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>')
    return (head(title, url, extra) + '<body class="post-template-default single single-post">\n'
            + nav() + f"""<div id="content" class="site-content"><main id="main" class="site-main">
<article id="post-{i}" class="post-{i} post type-post status-publish format-standard has-post-thumbnail hentry category-obshchestvo">
<header class="entry-header"><h1 class="entry-title">{html.escape(title)}</h1>
<div class="entry-meta"><span class="posted-on"><time class="entry-date published" datetime="{published.isoformat()}">{published.strftime('%d.%m.%Y')}</time>
<time class="updated" datetime="{modified.isoformat()}">{modified.strftime('%d.%m.%Y')}</time></span>
<span class="byline"><span class="author vcard">Пресс-служба</span></span></div></header>
<div class="post-thumbnail"><img src="/wp-content/uploads/photo-{i}.jpg" alt="" width="1200" height="800"></div>
<div class="entry-content">
{content}
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Поделиться:</h3><a class="share-facebook" href="#">Facebook</a><a class="share-telegram" href="#">Telegram</a></div>
</div>
<footer class="entry-footer"><span class="cat-links"><a href="/category/obshchestvo/" rel="category tag">Общество</a></span></footer>
</article>
<div class="jp-relatedposts"><h3>Похожие записи</h3></div>
</main>
""" + sidebar(rng, n) + "</div>\n" + footer())


def listing_page(p, pages, n, seed):
    rng = random.Random(seed * 7_919 + p + 10_000_000)
    newest = n - 1 - (p - 1) * 10
    items = []
    for i in range(newest, max(newest - 10, -1), -1):
        r = random.Random(seed * 1_000_003 + i)
        title = sentence(r, 5, 10)[:-1]  # same title as the article page
        d = when(i, n)
        items.append(f"""<article id="post-{i}" class="post-{i} post type-post status-publish format-standard hentry">
<header class="entry-header"><h2 class="entry-title"><a href="{article_path(i, n)}" rel="bookmark">{html.escape(title)}</a></h2>
<div class="entry-meta"><time class="entry-date published" datetime="{d.isoformat()}">{d.strftime('%d.%m.%Y')}</time></div></header>
<div class="entry-summary"><p>{html.escape(sentence(rng))} [&hellip;]</p></div>
</article>""")
    pager = []
    if p > 1:
        prev = "/" if p == 2 else f"/page/{p - 1}/"
        pager.append(f'<a class="prev page-numbers" href="{prev}">&laquo; Назад</a>')
    pager.append(f'<span aria-current="page" class="page-numbers current">{p}</span>')
    if p < pages:
        pager.append(f'<a class="next page-numbers" href="/page/{p + 1}/">Далее &raquo;</a>')
    canonical = "/" if p == 1 else f"/page/{p}/"
    return (head("Новости" if p == 1 else f"Новости — страница {p}", canonical)
            + '<body class="home blog">\n' + nav()
            + '<div id="content" class="site-content"><main id="main" class="site-main">\n'
            + "\n".join(items)
            + '\n<nav class="navigation pagination"><div class="nav-links">' + "".join(pager) + "</div></nav>\n"
            + "</main>\n" + sidebar(rng, n) + "</div>\n" + footer())


def write(root, path, text):
    full = os.path.join(root, path.strip("/"), "index.html") if path.endswith("/") else os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    pages = (a.n + 9) // 10
    for i in range(a.n):
        write(a.out, article_path(i, a.n), article_page(i, a.n, a.seed))
    for p in range(1, pages + 1):
        write(a.out, "/" if p == 1 else f"/page/{p}/", listing_page(p, pages, a.n, a.seed))
    write(a.out, "/robots.txt", "User-agent: *\nDisallow: /wp-admin/\n")
    print(f"{a.n} articles, {pages} listing pages in {a.out}")


if __name__ == "__main__":
    main()

<?xml version="1.0" encoding="UTF-8"?>
<!-- pressfeed: shows an RSS 2.0 or Atom 1.0 feed as a page for people. Feed readers ignore it. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
<xsl:output method="html" encoding="UTF-8" doctype-system="about:legacy-compat"/>

<xsl:variable name="title" select="/rss/channel/title | /atom:feed/atom:title"/>
<xsl:variable name="self" select="/rss/channel/atom:link[@rel='self']/@href | /atom:feed/atom:link[@rel='self']/@href"/>
<xsl:variable name="site" select="/rss/channel/link | /atom:feed/atom:link[@rel='alternate']/@href"/>

<xsl:template match="/">
<html lang="{{ lang }}">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title><xsl:value-of select="$title"/></title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:0 auto;padding:1rem;max-width:48rem;line-height:1.45;color:#222;background:#fff}
.note{background:#eef4fb;border-left:4px solid #3b73b9;padding:.6rem .8rem}
.url{display:block;padding:.5rem;background:#f4f4f4;border:1px solid #ccc;overflow-wrap:anywhere;font-family:ui-monospace,monospace;user-select:all}
.item{border-bottom:1px solid #ddd;padding:.4rem 0}
.item h3{margin:.2rem 0;font-size:1.1rem}
.date{color:#666;font-size:.9rem;margin:0}
</style>
</head>
<body>
<p class="note">{{ w.feed_note }}</p>
<h1 id="feed-title"><xsl:value-of select="$title"/></h1>
<p><xsl:value-of select="/rss/channel/description | /atom:feed/atom:subtitle"/></p>
<p><a href="{$site}">{{ w.site }}</a></p>
<section id="subscribe">
<h2>{{ w.subscribe }}</h2>
<p>{{ w.subscribe_how }}</p>
<code class="url" id="feed-url"><xsl:value-of select="$self"/></code>
</section>
<h2>{{ w.latest }}</h2>
<xsl:for-each select="/rss/channel/item | /atom:feed/atom:entry">
<article class="item">
<h3><a href="{link | atom:link[@rel='alternate']/@href}"><xsl:value-of select="title | atom:title"/></a></h3>
<p class="date"><xsl:value-of select="pubDate | atom:published"/></p>
<p class="summary"><xsl:value-of select="description | atom:summary"/></p>
</article>
</xsl:for-each>
<xsl:if test="not(/rss/channel/item | /atom:feed/atom:entry)">
<p>{{ w.no_items }}</p>
</xsl:if>
</body>
</html>
</xsl:template>
</xsl:stylesheet>

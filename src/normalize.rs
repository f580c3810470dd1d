//! RawArticle → Article.

"""Companies: found in each article at ingest, stored in the company tables, read back for
``newsbot companies`` and ``newsbot company NAME``; and the entity spans of every article.

Usage::

    from index.companies import CompanyIndex, company_directory, company_key
    kb = EmbeddedKnowledgeBase.open(data_dir, embedder, enrichers=[CompanyIndex()])
    with kb.reader() as snap:
        directory = company_directory(snap)
        directory.lookup(company_key("Beijing Automotive Group Co"))    # the BAIC entry

Modules, in the order an article passes through them:

- extraction (:mod:`~index.companies.extractor`, the rules and their order): which spans NER
  reads (:mod:`~index.companies.ner_spans`), the vote over names
  (:mod:`~index.companies.evidence`), aliases (:mod:`~index.companies.aliases`), mentions
  and relations (:mod:`~index.companies.mentions`), with names, outlets and patterns in
  :mod:`~index.companies.names`, :mod:`~index.companies.outlets`,
  :mod:`~index.companies.patterns`, records in :mod:`~index.companies.records`
- rows for one article (:mod:`~index.companies.rows`, :mod:`~index.companies.who`,
  :mod:`~index.companies.flags`), written by the enricher (:mod:`~index.companies.enricher`)
  into the tables (:mod:`~index.companies.tables`)
- reading: :mod:`~index.companies.directory` (every company), :mod:`~index.companies.refs`
  (what a summary reads about one)
- :mod:`~index.companies.entity_spans`: every article's named-entity spans (not only
  companies), a second enricher on the same spaCy model

This package exports the public names of the modules above except ``entity_spans``.
"""

from index.companies.directory import (
    CompanyDirectory,
    CompanyEntry,
    alias_groups,
    company_directory,
    outlet_keys,
    state_token,
)
from index.companies.enricher import CompanyIndex, shared_extractor
from index.companies.extractor import EntityExtractor
from index.companies.flags import BOILER, CUE, NUMERIC, QUESTION, SPEECH, TEMPORAL, TERMINAL, sentence_flags
from index.companies.names import (
    GENERIC_ORG_WORDS,
    GOVERNMENT_BODIES,
    KEY_ONLY_SUFFIXES,
    LEGAL_SUFFIXES,
    alias_text,
    company_key,
)
from index.companies.outlets import AMBIGUOUS_OUTLETS, KNOWN_OUTLETS, outlet_head
from index.companies.records import AliasDefinition, EntityExtraction, Mention, Relation
from index.companies.refs import (
    ArticleFocus,
    RelationRef,
    SentenceRef,
    WhoRef,
    article_focus,
    relation_refs,
    sentence_refs,
    who_refs,
)
from index.companies.rows import analyse
from index.companies.tables import SCHEMA, TABLES, VERSION, CompanyPayload, TableSnapshot, write_payload
from index.companies.who import find_who

__all__ = [
    "AMBIGUOUS_OUTLETS", "BOILER", "CUE", "GENERIC_ORG_WORDS", "GOVERNMENT_BODIES", "KEY_ONLY_SUFFIXES",
    "KNOWN_OUTLETS", "LEGAL_SUFFIXES", "NUMERIC", "QUESTION", "SCHEMA", "SPEECH", "TABLES", "TEMPORAL",
    "TERMINAL", "VERSION", "AliasDefinition", "ArticleFocus", "CompanyDirectory", "CompanyEntry",
    "CompanyIndex", "CompanyPayload", "EntityExtraction", "EntityExtractor", "Mention", "Relation",
    "RelationRef", "SentenceRef", "TableSnapshot", "WhoRef", "alias_groups", "alias_text", "analyse",
    "article_focus", "company_directory", "company_key", "find_who", "outlet_head", "outlet_keys",
    "relation_refs", "sentence_flags", "sentence_refs", "shared_extractor", "state_token", "who_refs",
    "write_payload",
]

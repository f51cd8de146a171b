"""Bulk enrichment: many indicators in one run, bounded, resumable.

Above the helpers: it walks each indicator's references with the same `_Walk` the
helpers use, and nothing in the core imports it. `_ioc` classifies indicators,
`_results` holds what a run yields, `_engine` is the logic the sync and async runners
share, `_enrich` runs it with threads or tasks, `_checkpoint` records what is finished.
"""

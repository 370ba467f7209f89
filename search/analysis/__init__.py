"""Text → terms: width/case/script folding, jieba words with positions and offsets, Han characters.

The only user of jieba; index time and query time both analyse through here.
"""

from .terms import (Word, alnum_spans, analysis_id, filter_term, fold, han_char_offsets, han_chars, han_runs,
                    query_segmenter, regional_variant, segmenter, sub_words, word_tuples, words)

__all__ = ["Word", "alnum_spans", "analysis_id", "filter_term", "fold", "han_char_offsets", "han_chars",
           "han_runs", "query_segmenter", "regional_variant", "segmenter", "sub_words", "word_tuples", "words"]

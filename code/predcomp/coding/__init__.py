"""Source coding: prefix codes and Huffman (:mod:`.prefix`), bit streams (:mod:`.bitio`), the
arithmetic coder (:mod:`.arithmetic`), the same coding in exact fractions (:mod:`.intervals`),
the loop that drives the coder with a predictive model (:mod:`.model_coding`), rANS
(:mod:`.ans`) and the compressed file format (:mod:`.container`)."""

"""Source coding: prefix codes and Huffman (:mod:`.prefix`), bit streams (:mod:`.bitio`), the
arithmetic coder (:mod:`.arithmetic`) and the compressed file format (:mod:`.container`)."""

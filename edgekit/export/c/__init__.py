"""The C target: a run's members as tables for the firmware runtime in firmware_stubs/.

- :mod:`~edgekit.export.c.layout`: the one description of the C table structs (generates
  ``firmware_stubs/include/edgekit_tables.h`` and packs the generated initializers);
- :mod:`~edgekit.export.c.graph` (+ ``operators``, ``fixedpoint``, ``memory``): one .tflite
  member translated to the C operator list;
- :mod:`~edgekit.export.c.codegen`: the C text; :mod:`~edgekit.export.c.export`: the entry
  point ``export_c`` and the CLI's printout ``summary_text``.
"""

from edgekit.export.c.export import export_c, summary_text

__all__ = ["export_c", "summary_text"]

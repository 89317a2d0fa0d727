"""Sources: where documents come from (files now; feeds and URLs plug in beside)."""

"""Pages people open: self-contained HTML reports, maps and charts, and the demo."""

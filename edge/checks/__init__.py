"""Checks a technician (`edge doctor`, `edge validate`) or a remote change (set_config,
update_model) runs against a device: each returns `Finding`s, every failing one with
the fix in one line."""

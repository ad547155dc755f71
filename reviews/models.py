"""Review cycles and improvement suggestions (seed section 3.1). Models arrive with the
workflow issue; the app exists now so that its migrations and permissions have a home."""

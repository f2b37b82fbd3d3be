"""Partner has no bench tests of its own (partners are exercised by every other module's tests)."""

# ERPNext builds its test records by walking Link fields, and prm_app's custom fields on its transactions
# lead into this doctype: the walk stops here (see prm_app/tests/test_erpnext_test_records.py)
test_ignore = [
	"Commission Plan",
	"Company",
	"Contact",
	"Partner Tier",
	"Sales Partner",
	"Sales Partner Type",
	"Supplier",
	"Territory",
	"User",
]
IGNORE_TEST_RECORD_DEPENDENCIES = test_ignore  # the name Frappe v16 reads

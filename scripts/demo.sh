#!/usr/bin/env bash
# `make demo`: the whole story from an empty ./var/, on embedded defaults (SQLite under ./var/,
# the development credentials in keys-dev/). Every step is a real command a user would type.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export COLUMNS="${COLUMNS:-180}"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Commands that are expected to refuse (exit 1) in the demo.
expect_refusal() { if "$@"; then echo "(expected a refusal)"; exit 1; fi; }

# The SEC's real CPL workbook (public), where the project's shared papers keep it.
SEC_WORKBOOK="${SEC_WORKBOOK:-../shared/reference/central_products_list_v2.051.xlsm}"
if [ ! -f "$SEC_WORKBOOK" ]; then
  echo "The demo starts from the SEC's CPL workbook, expected at $SEC_WORKBOOK (set SEC_WORKBOOK to its path)." >&2
  exit 2
fi

rm -rf var && mkdir -p var

step "Parties: two manufacturers, a supplier, the DCC, SECAS with two users for four-eyes signing"
cpl parties add acme-meters --role manufacturer --name "Acme Meters" --email cpl@acme.example
cpl parties add northwind --role manufacturer --name "Northwind Devices" --email cpl@northwind.example
cpl parties add bright-energy --role supplier --name "Bright Energy" --email metering@bright.example
cpl parties add dcc --role dcc --name "DCC" --email cpl@dcc.example
cpl parties add secas --role secas --name "SECAS" --email cpl@secas.example
cpl parties add-user alice --party secas --name "Alice (SECAS)"
cpl parties add-user bob --party secas --name "Bob (SECAS)"

step "The SEC's list as it is today: import CPL version 2.051 (the real, public workbook; its macros are never run)"
cpl parties add mfr-1031 --role manufacturer --name "Manufacturer 10:31 (demo)" --email cpl@mfr-1031.example
cpl import-cpl "$SEC_WORKBOOK" --by alice
cpl list --status Withdrawn | tail -5

step "Sample submission workbooks (and blank templates: this service's and the SEC's own)"
python -m cpl.demo.workbooks var/demo
cpl template var/demo/template.xlsx
cpl template --layout sec var/demo/sec-template.xlsx

step "The SEC's New Entry form, filled in by Acme: checked and submitted as it is (findings would name its rows)"
cpl check var/demo/acme-sec-new-entry-form.xlsx
cpl submit var/demo/acme-sec-new-entry-form.xlsx --party acme-meters
cpl approve 2 --by alice

step "New firmware for a gas meter already on 2.051 (entry 000707), on the SEC's form: a Firmware Update"
echo "Its certificates name the old firmware only (C005): SECAS records the mapping evidence when approving."
expect_refusal cpl check var/demo/mfr-1031-sec-firmware-update.xlsx
expect_refusal cpl submit var/demo/mfr-1031-sec-firmware-update.xlsx --party mfr-1031
echo "The form names no supplier: it waits for a supplier's confirmation."
expect_refusal cpl approve 3 --by alice --mapping-evidence "Release notes 08:00:01:00 section 2: no ZigBee or CPA-relevant change"
cpl confirm 3 --by bright-energy
cpl approve 3 --by alice --mapping-evidence "Release notes 08:00:01:00 section 2: no ZigBee or CPA-relevant change"

step "The Panel withdraws a Communications Hub of the imported list (SECP_67_0101)"
cpl remove CPL-000002 --status Withdrawn --panel-ref SECP_67_0101 --by alice --reason "Withdrawn by its manufacturer"

step "A workbook with problems: every finding has a code, a sheet, a row and a column"
expect_refusal cpl check var/demo/acme-with-problems.xlsx --submitter manufacturer
step "Not a workbook at all: a WB001 finding, not a crash"
expect_refusal cpl check var/demo/not-a-workbook.xlsx

step "Submissions: Acme's new models, Northwind's signed workbook, the DCC's SMETS1 entry"
cpl submit var/demo/acme-new-models.xlsx --party acme-meters
cpl submit var/demo/northwind-signed.xlsx --party northwind --signature var/demo/northwind-signed.xlsx.p7s
cpl submit var/demo/dcc-smets1.xlsx --party dcc
expect_refusal cpl submit var/demo/acme-with-problems.xlsx --party acme-meters
cpl submissions list

step "SECAS approves the clean submissions; one with errors cannot be approved"
cpl approve 4 --by alice
cpl approve 5 --by alice
cpl approve 6 --by bob
expect_refusal cpl approve 7 --by alice

step "A firmware update from Acme needs Bright Energy's confirmation before approval"
cpl submit var/demo/acme-firmware-update.xlsx --party acme-meters
expect_refusal cpl approve 8 --by alice
cpl confirm 8 --by bright-energy
cpl approve 8 --by alice

step "The CPL: the 729 imported entries and the new ones (the last 12 shown)"
cpl list | tail -14

step "Extract 1 is CPL version 2.052: Alice prepares (what changed since 2.051), Bob approves and signs (four eyes)"
cpl extract prepare --by alice
expect_refusal cpl extract approve 1 --by alice
cpl extract approve 1 --by bob
step "Anyone verifies it; so does openssl, independently"
cpl extract verify var/extracts/cpl-extract-000001.p7m
openssl cms -verify -inform DER -binary -CAfile keys-dev/root-ca.pem -purpose any \
  -in var/extracts/cpl-extract-000001.p7m -out var/extracts/cpl-extract-000001.json
echo "openssl: $(wc -c < var/extracts/cpl-extract-000001.json) bytes of canonical JSON"

step "API tokens for each party (printed once, stored hashed)"
cpl parties add-token acme-meters --label demo
cpl parties add-token alice --label demo
cpl parties tokens

step "The DCC: a Smart Metering Inventory seeded over extract 1's Active models, which it verifies and loads"
smi seed --devices "${DEMO_DEVICES:-200000}" --from-extract var/extracts/cpl-extract-000001.p7m --seed 7
smi report

step "The DCC's signed receipt goes back to SECAS: the extract is recorded as loaded"
cpl receipt import var/receipts/receipt-1.p7m

step "SECAS publishes CPL 2.052, also in the SEC's layout; parties are told (SMTP if CPL_SMTP_URL is set, else .eml files in var/outbox/)"
cpl publish
echo "The SEC layout's CSV tab (first 3 rows) and its Version Control sentences for 2.052:"
head -3 var/public/central_products_list.csv
python - <<'PY'
from python_calamine import CalamineWorkbook
rows = CalamineWorkbook.from_path("var/public/central_products_list.xlsx").get_sheet_by_name("Version Control").to_python()
print("\n".join(f"  {r[0]}  {r[1]}  " + str(r[2]).replace("\r\n", "\n    ") for r in rows if str(r[0]).startswith("2.05")))
PY

step "The Panel withdraws Acme's gas meter (SECP_66_1503); a removal without a Panel reference is refused"
GAS=$(cpl list --json | python -c 'import json,sys; print(next(e["entry_id"] for e in json.load(sys.stdin)["entries"] if e["manufacturer_id"] == "106C" and e["model"] == "A-00004"))')
expect_refusal cpl remove "$GAS" --status Withdrawn --panel-ref "agreed by email" --by alice
cpl remove "$GAS" --status Withdrawn --panel-ref SECP_66_1503 --by alice --reason "CPA certificate revoked by NCSC"

step "A certificate revocation becomes a removal proposal for the Panel, never a silent removal"
cpl certificates revoke ZigBee ZIGBEE-106C-9006-0000 --by bob --reason "ZigBee certification withdrawn"
cpl proposals

step "Extract 2 (CPL 2.053): Bob prepares (the removal is listed with its Panel reference), Alice approves"
cpl extract prepare --by bob
cpl extract approve 2 --by alice
cpl extract verify var/extracts/cpl-extract-000002.p7m

step "The DCC ingests extract 2: Devices of the withdrawn model are suspended, with alerts"
smi ingest var/extracts/cpl-extract-000002.p7m
echo "Alerts raised (first 3 of $(wc -l < var/smi-alerts.jsonl)):"
head -3 var/smi-alerts.jsonl
smi report
step "A replayed extract changes nothing; a tampered one is refused with its reason, by the DCC and by openssl"
smi ingest var/extracts/cpl-extract-000002.p7m
python - <<'PY'
from pathlib import Path
data = bytearray(Path("var/extracts/cpl-extract-000002.p7m").read_bytes())
data[data.find(b'"Withdrawn"') + 1] ^= 0x20  # "Withdrawn" -> "withdrawn" inside the signed content
Path("var/demo/tampered-extract.p7m").write_bytes(bytes(data))
PY
expect_refusal smi ingest var/demo/tampered-extract.p7m
expect_refusal openssl cms -verify -inform DER -binary -CAfile keys-dev/root-ca.pem -purpose any \
  -in var/demo/tampered-extract.p7m -out /dev/null
cpl receipt import var/receipts/receipt-2.p7m
cpl publish

step "The expiry job (cron): 12- and 6-month CPA notices, once each, as of a date two years on"
echo "(Many of 2.051's CPA certificates have ended since 2022: each becomes a removal proposal, first 12 shown.)"
echo "A date other than today is a dry run: what the job would do, changing nothing."
cpl expiry run --as-of 2030-03-01 | sed -n 1,12p
echo "With --send it does it (a log, one line per event); run again, it owes nothing more."
cpl expiry run --as-of 2030-03-01 --send | sed -n 1,12p
cpl expiry run --as-of 2030-03-01 --send | tail -1

step "Notices sent, and the audit log checked end to end"
cpl notices list
ls var/outbox | head -20
cpl audit verify

step "Done"
cat <<'DONE'
Everything above lives under ./var/ (cpl.db, smi.db, extracts/, receipts/, outbox/, public/).
Serve the public CPL page and the API:   .venv/bin/cpl serve    (then open http://127.0.0.1:8000/)
The DCC simulator's API:                  .venv/bin/smi serve    (http://127.0.0.1:8001/)
DONE

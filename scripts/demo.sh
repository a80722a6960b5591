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

rm -rf var && mkdir -p var

step "Parties: two manufacturers, a supplier, the DCC, SECAS with two users for four-eyes signing"
cpl parties add acme-meters --role manufacturer --name "Acme Meters" --email cpl@acme.example
cpl parties add northwind --role manufacturer --name "Northwind Devices" --email cpl@northwind.example
cpl parties add bright-energy --role supplier --name "Bright Energy" --email metering@bright.example
cpl parties add dcc --role dcc --name "DCC" --email cpl@dcc.example
cpl parties add secas --role secas --name "SECAS" --email cpl@secas.example
cpl parties add-user alice --party secas --name "Alice (SECAS)"
cpl parties add-user bob --party secas --name "Bob (SECAS)"

step "Sample submission workbooks (and a blank template)"
python -m cpl.demo.workbooks var/demo
cpl template var/demo/template.xlsx

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
cpl approve 1 --by alice
cpl approve 2 --by alice
cpl approve 3 --by bob
expect_refusal cpl approve 4 --by alice

step "A firmware update from Acme needs Bright Energy's confirmation before approval"
cpl submit var/demo/acme-firmware-update.xlsx --party acme-meters
expect_refusal cpl approve 5 --by alice
cpl confirm 5 --by bright-energy
cpl approve 5 --by alice

step "The CPL"
cpl list

step "Extract 1: Alice prepares, Bob approves and signs (four eyes)"
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

step "SECAS publishes the CPL; parties are told (SMTP if CPL_SMTP_URL is set, else .eml files in var/outbox/)"
cpl publish

step "The Panel withdraws Acme's gas meter (SECP_66_1503); a removal without a Panel reference is refused"
expect_refusal cpl remove CPL-000004 --status Withdrawn --panel-ref "agreed by email" --by alice
cpl remove CPL-000004 --status Withdrawn --panel-ref SECP_66_1503 --by alice --reason "CPA certificate revoked by NCSC"

step "A certificate revocation becomes a removal proposal for the Panel, never a silent removal"
cpl certificates revoke ZigBee ZIGBEE-106C-9006-0000 --by bob --reason "ZigBee certification withdrawn"
cpl proposals

step "Extract 2: Bob prepares (the removal is listed with its Panel reference), Alice approves"
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
cpl expiry run --as-of 2030-03-01
cpl expiry run --as-of 2030-03-01

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

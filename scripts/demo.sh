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
python -m cpl.demo_workbooks var/demo
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

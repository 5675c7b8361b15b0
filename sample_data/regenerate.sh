#!/bin/sh
# Regenerate every file in sample_data/ (run from anywhere; needs nhvmetrics installed).
# tests/test_sample_data.py runs exactly the `nhvmetrics sample` lines below and checks that the
# committed files are byte for byte what they produce: edit this script, then run it, then commit.
set -eu
cd "$(dirname "$0")"

# Canonical dialect, clean: seven referral years (2019-2025) at the volumes of the NHV documents.
nhvmetrics sample --area acc --rows 300 --seed 1 -o acc_cases.csv
nhvmetrics sample --area net --rows 1500 --seed 1 -o net_cases.csv
nhvmetrics sample --area anal --rows 1400 --seed 1 -o anal_cases.csv
nhvmetrics sample --area pelvic --rows 3000 --seed 1 -o pelvic_cases.csv

# INCA-style exports under the built-in names (Windows-1252, semicolons, PAT_ID, KON_VALUE,
# <var>_Värde), read without a mapping profile; 2 % planted errors; smaller to keep the repo light.
nhvmetrics sample --area acc --rows 300 --seed 2 --dirty 0.02 --dialect aliases -o inca/acc_cases.csv
nhvmetrics sample --area net --rows 500 --seed 2 --dirty 0.02 --dialect aliases -o inca/net_cases.csv
nhvmetrics sample --area anal --rows 500 --seed 2 --dirty 0.02 --dialect aliases -o inca/anal_cases.csv
nhvmetrics sample --area pelvic --rows 800 --seed 2 --dirty 0.02 --dialect aliases -o inca/pelvic_cases.csv

# Exports as the registers write them (their own variable names, codes, system and name columns),
# each with its mapping profile (<area>_cases.mapping.yaml); 2 % planted errors.
nhvmetrics sample --area acc --rows 300 --seed 3 --dirty 0.02 --inca -o register/acc_cases.csv
nhvmetrics sample --area net --rows 300 --seed 3 --dirty 0.02 --inca -o register/net_cases.csv
nhvmetrics sample --area anal --rows 300 --seed 3 --dirty 0.02 --inca -o register/anal_cases.csv
nhvmetrics sample --area pelvic --rows 400 --seed 3 --dirty 0.02 --inca -o register/pelvic_cases.csv

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

# INCA dialect (Windows-1252, semicolons, Swedish names), 2 % planted errors; smaller to keep the repo light.
nhvmetrics sample --area acc --rows 300 --seed 2 --dirty 0.02 --inca -o inca/acc_cases.csv
nhvmetrics sample --area net --rows 500 --seed 2 --dirty 0.02 --inca -o inca/net_cases.csv
nhvmetrics sample --area anal --rows 500 --seed 2 --dirty 0.02 --inca -o inca/anal_cases.csv
nhvmetrics sample --area pelvic --rows 800 --seed 2 --dirty 0.02 --inca -o inca/pelvic_cases.csv

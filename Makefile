.PHONY: help setup demo test test-fast lint accuracy bench-ocr corpus clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup:  ## install system packages and the Python environment (.venv)
	scripts/setup.sh

demo: setup  ## set up, generate example packages and pre-screen them (embedded default)
	scripts/demo.sh

test: setup  ## set up and run the whole test suite
	scripts/test.sh

test-fast: setup  ## tests without the slow and OCR-heavy ones
	scripts/test.sh -m "not slow and not ocr"

lint:  ## ruff
	.venv/bin/ruff check .

accuracy: setup  ## generate 40 packages (1/3+ scanned) and print fact accuracy and rule catches
	.venv/bin/python -m prescreen.accuracy --count 40 --seed 1

bench-ocr: setup  ## OCR benchmark: our extraction beside bare tesseract/RapidOCR on generated scans (~15 min)
	.venv/bin/python -m benchmarks.ocr --markdown docs/ocr-benchmark.md

bench-reprocess: setup  ## reprocessing benchmark: 200 generated packages, rules-only and unchanged re-runs, 1 vs 2 workers
	.venv/bin/python -m benchmarks.reprocess

clean:  ## remove generated data
	rm -rf var .pytest_cache

# LArCal Workbench developer entry points. Both targets set everything up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed

.PHONY: demo test setup clean

demo: $(STAMP)  ## set up, build the demo campaign on first use, and launch the workbench
	$(VENV)/bin/python launch.py --demo

test: $(STAMP)  ## set up and run the whole test suite headless
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python -m pytest -q

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/bootstrap.sh
	PYTHON=$(PYTHON) bash scripts/bootstrap.sh
	touch $(STAMP)

clean:
	rm -rf $(VENV) *.egg-info

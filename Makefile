# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed-test

.PHONY: demo test lint bench screenshots clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m timesync.demo --out out/demo
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(VENV)/bin/timesync-app out/demo/incident.json; \
	else \
		echo "No display found (DISPLAY is not set): not opening the app. Open it later with: $(VENV)/bin/timesync-app out/demo/incident.json"; \
	fi

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) bench/run_all.py

# Real window under Xvfb when it is installed (apt: xvfb xauth libxcb-icccm4
# libxcb-keysyms1), otherwise Qt's offscreen platform.
screenshots: $(STAMP)
	@if command -v xvfb-run >/dev/null; then \
		xvfb-run -a -s "-screen 0 1920x1080x24" $(PY) docs/make_screenshots.py --platform xcb; \
	else \
		QT_QPA_PLATFORM=offscreen $(PY) docs/make_screenshots.py; \
	fi

clean:
	rm -rf out .pytest_cache

"""``python -m fastinit bench``: fastinit against NumPy, torch and the store limit, side by side
in one run (cli.py parses, runner.py measures, report.py prints and plots, libraries.py wraps the
competitors). The side-by-side scripts for real models and integrations are in bench/."""

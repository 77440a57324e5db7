"""``make scale-test``: the stack spread over a small network of hosts on this machine.

Each host is a network namespace on one bridge (10.77.0.0/16) with its own address, its own
folder and its own /tmp and /dev/shm; it sees neither another host's loopback nor its files.
``db`` runs PostgreSQL, ``broker`` Redis, ``mail`` an SMTP sink, ``web1`` and ``web2`` the
three web services under gunicorn, ``work1`` and ``work2`` Celery workers of the mail queue,
``beat`` the one scheduler (and the housekeeping worker), ``edge`` HAProxy in front of the web
replicas, and ``clients`` the participants, a /16 of addresses of their own (10.78.0.0/16)
routed through it. Every Atelier process is configured by environment variables only.

Run with ``.venv/bin/python -m tools.scale_test`` as root; ``--help`` lists the options.
"""

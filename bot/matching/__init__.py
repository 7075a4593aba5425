"""Matching mentors and mentees from intake answers (guide section 4).

The guide says matching is tricky and the organisers do their best; that
differences can help; that a good match finds aspects where the two are alike
and learns the mentee's needs.  This package turns that into data and a solver:

* :mod:`bot.matching.profile` — one person's intake answers as a plain value;
* :mod:`bot.matching.scoring` — hard constraints and the compatibility score;
* :mod:`bot.matching.solver` — the assignment (most mentees first, then score);
* :mod:`bot.matching.explain` — what two people share and where they differ;
* :mod:`bot.matching.csvimport` — applications collected in a web form;
* :mod:`bot.matching.models`, :mod:`bot.matching.store` — tables and queries;
* :mod:`bot.matching.approve` — an approved suggestion becomes a pair or circle.

Everything but the last two is pure: no database, no clock, no chat.
"""

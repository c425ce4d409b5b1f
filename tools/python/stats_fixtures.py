#!/usr/bin/env python3
"""Writes the fixtures of the stats crate (crates/stats/tests/fixtures/*.json): inputs and what
scipy and statsmodels compute from them, for the Rust tests to compare against (1e-9 relative).

    python3 -m venv target/stats-venv
    target/stats-venv/bin/pip install -r tools/python/stats-requirements.txt
    target/stats-venv/bin/python tools/python/stats_fixtures.py

The data are made here from fixed seeds, so a run with the pinned versions rewrites the same
files. Infinite and undefined values are written as the strings "inf", "-inf" and "nan"."""

import json
import math
import os

import numpy as np
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "crates", "stats",
                   "tests", "fixtures")


def num(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def nums(xs):
    return [num(x) for x in xs]


def write(name, cases, out=None):
    doc = {
        "generated_by": "tools/python/stats_fixtures.py",
        "versions": {"scipy": scipy.__version__, "statsmodels": statsmodels.__version__,
                     "numpy": np.__version__},
        "cases": cases,
    }
    # One case a line, so that a regenerated file's diff shows which cases changed.
    def block(items, indent):
        inner = ",\n".join(indent + "  " + json.dumps(c) for c in items)
        return "[\n" + inner + "\n" + indent + "]"

    if isinstance(cases, dict):
        body = "{\n" + ",\n".join(f'  "{k}": {block(v, "  ")}' for k, v in cases.items()) + "\n}"
    else:
        body = block(cases, "")
    head = json.dumps({k: v for k, v in doc.items() if k != "cases"})[:-1]
    with open(os.path.join(out or OUT, name + ".json"), "w", encoding="utf-8") as f:
        f.write(head + ', "cases": ' + body + "}\n")


def rounded(rng, loc, scale, n, digits=1):
    return [round(float(v), digits) for v in rng.normal(loc, scale, n)]


# ---------------------------------------------------------------- OLS and ANCOVA
def design(n, treated, numeric, factors, intercept=True):
    cols = []
    if intercept:
        cols.append(np.ones(n))
    if treated is not None:
        cols.append(np.array([1.0 if t else 0.0 for t in treated]))
    for _, values in numeric:
        cols.append(np.array(values, dtype=float))
    for _, labels in factors:
        for level in sorted(set(labels))[1:]:
            cols.append(np.array([1.0 if l == level else 0.0 for l in labels]))
    return np.column_stack(cols)


def ols_case(name, y, numeric=(), factors=(), treated=None, intercept=True, level=0.95):
    x = design(len(y), treated, numeric, factors, intercept)
    fit = sm.OLS(np.array(y, dtype=float), x).fit()
    ci = fit.conf_int(alpha=1 - level)
    return {
        "name": name, "y": y, "treated": treated, "numeric": [list(c) for c in numeric],
        "factors": [list(c) for c in factors], "intercept": intercept, "level": level,
        "params": nums(fit.params), "bse": nums(fit.bse), "tvalues": nums(fit.tvalues),
        "pvalues": nums(fit.pvalues), "ci_lower": nums(ci[:, 0]), "ci_upper": nums(ci[:, 1]),
        "df_resid": num(fit.df_resid), "rsquared": num(fit.rsquared),
        "sigma": num(math.sqrt(fit.scale)),
    }


def ols_cases():
    rng = np.random.default_rng(18)
    cases = []
    x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    cases.append(ols_case("simple regression, six points", [2.1, 3.9, 6.2, 7.8, 10.1, 12.2],
                          numeric=[("x", x)]))
    cases.append(ols_case("through the origin", [2.1, 3.9, 6.2, 7.8, 10.1, 12.2],
                          numeric=[("x", x)], intercept=False))
    # ANCOVA as the primary analysis: change in motor score on arm, baseline and two strata.
    n = 60
    treated = [bool(v) for v in rng.integers(0, 2, n)]
    base = rounded(rng, 30, 12, n, 0)
    s1 = [str(v) for v in rng.choice(["cervical", "thoracic"], n)]
    s2 = [str(v) for v in rng.choice(["A", "B", "C"], n)]
    y = [round(4 + 6 * t - 0.1 * b + (2 if a == "thoracic" else 0) + float(e), 1)
         for t, b, a, e in zip(treated, base, s1, rng.normal(0, 5, n))]
    cases.append(ols_case("ANCOVA, 60 participants, baseline and two strata", y, treated=treated,
                          numeric=[("base", base)], factors=[("site", s1), ("ais", s2)]))
    # Unbalanced arms (2:1 of 25), one three-level factor, 90% intervals.
    n = 25
    treated = [i % 3 != 0 for i in range(n)]
    base = rounded(rng, 20, 8, n, 0)
    s = [str(v) for v in rng.choice(["a", "b", "c"], n)]
    y = [round(2 + 3 * t + 0.3 * b + float(e), 2)
         for t, b, e in zip(treated, base, rng.normal(0, 3, n))]
    cases.append(ols_case("ANCOVA, unbalanced 2:1, 90%", y, treated=treated,
                          numeric=[("base", base)], factors=[("stratum", s)], level=0.90))
    # No treatment effect at all, and a covariate on a large scale.
    n = 40
    treated = [i % 2 == 0 for i in range(n)]
    big = rounded(rng, 1000, 50, n, 0)
    y = rounded(rng, 0, 1, n, 3)
    cases.append(ols_case("ANCOVA, null effect, covariate near 1000", y, treated=treated,
                          numeric=[("big", big)]))
    # Two arms, nothing else: the ANCOVA estimate is the difference of means.
    cases.append(ols_case("one residual degree of freedom", [1.0, 2.5, 2.0],
                          numeric=[("x", [0.0, 1.0, 3.0])]))
    cases.append(ols_case("ANCOVA, arm only (difference of means)",
                          [3.0, 5.0, 4.0, 6.0, 9.0, 8.0, 10.0], treated=[False] * 3 + [True] * 4))
    write("ols", cases)


# ---------------------------------------------------------------- t tests
def ttest_cases():
    rng = np.random.default_rng(2)
    samples = [
        ("small, equal sizes", [5.1, 4.9, 6.2, 5.8, 6.0], [4.1, 4.5, 5.0, 3.9, 4.4]),
        ("unequal sizes and spreads", rounded(rng, 10, 2, 12, 2), rounded(rng, 8, 6, 30, 2)),
        ("two each", [1.0, 2.0], [3.0, 5.0]),
        ("equal means", [1.0, 2.0, 3.0], [0.0, 2.0, 4.0]),
        ("very different (tiny p)", rounded(rng, 50, 1, 20, 3), rounded(rng, 40, 1, 25, 3)),
        ("one sample without spread", [3.0, 3.0, 3.0, 3.0], [1.0, 2.0, 4.0]),
        ("large samples (over 1000 degrees of freedom)", rounded(rng, 5, 3, 600, 1),
         rounded(rng, 4.5, 3.5, 650, 1)),
    ]
    cases = []
    for name, a, b in samples:
        for equal in (True, False):
            for level in (0.95, 0.99):
                r = stats.ttest_ind(a, b, equal_var=equal)
                ci = r.confidence_interval(level)
                cases.append({
                    "name": name, "a": a, "b": b, "equal_var": equal, "level": level,
                    "estimate": num(np.mean(a) - np.mean(b)), "t": num(r.statistic),
                    "df": num(r.df), "p": num(r.pvalue), "ci_lower": num(ci.low),
                    "ci_upper": num(ci.high),
                })
    write("ttest", cases)


# ---------------------------------------------------------------- 2×2 tables
def fisher_cases():
    tables = [
        [[8, 2], [1, 5]], [[3, 1], [1, 3]], [[0, 5], [5, 0]], [[10, 0], [0, 10]],
        [[1, 9], [11, 3]], [[0, 0], [3, 4]], [[20, 30], [25, 25]], [[100, 200], [150, 120]],
        [[2, 7], [8, 2]], [[5, 5], [5, 5]], [[0, 1], [1, 0]], [[7, 12], [0, 9]],
        [[1, 0], [0, 0]], [[12, 5], [3, 14]], [[500, 480], [470, 530]],
    ]
    cases = []
    for t in tables:
        r = stats.fisher_exact(t)
        cases.append({"table": t, "odds_ratio": num(r.statistic), "p": num(r.pvalue)})
    write("fisher", cases)


def cmh_cases():
    rng = np.random.default_rng(7)
    sets = [
        ("two strata", [[[12, 5], [6, 11]], [[8, 7], [4, 10]]]),
        ("three strata with zero cells", [[[3, 0], [1, 4]], [[5, 2], [0, 6]], [[2, 2], [3, 3]]]),
        ("one stratum", [[[15, 10], [8, 17]]]),
        ("five random strata", [rng.integers(0, 20, (2, 2)).tolist() for _ in range(5)]),
        ("AIS conversion by arm in four strata",
         [[[6, 9], [2, 13]], [[4, 6], [1, 9]], [[7, 3], [3, 7]], [[2, 8], [1, 9]]]),
    ]
    cases = []
    for name, tables in sets:
        st = StratifiedTable([np.array(t, dtype=float) for t in tables])
        delta = sum(t[0][0] - (t[0][0] + t[0][1]) * (t[0][0] + t[1][0]) / sum(map(sum, t))
                    for t in tables)
        for correction in (False, True):
            if correction and abs(delta) < 0.5:
                continue  # statsmodels and R differ there; see tables.rs
            r = st.test_null_odds(correction=correction)
            lo, hi = st.oddsratio_pooled_confint(alpha=0.05)
            cases.append({
                "name": name, "tables": tables, "correction": correction, "level": 0.95,
                "statistic": num(r.statistic), "p": num(r.pvalue),
                "odds_ratio": num(st.oddsratio_pooled), "log_se": num(st.logodds_pooled_se),
                "ci_lower": num(lo), "ci_upper": num(hi),
            })
    write("cmh", cases)


# ---------------------------------------------------------------- proportions
def proportion_cases():
    single = [(0, 10), (10, 10), (3, 10), (1, 50), (49, 50), (17, 40), (500, 1000), (1, 1),
              (0, 1), (2, 300)]
    cases = []
    for count, n in single:
        for level in (0.95, 0.90):
            cp = proportion_confint(count, n, alpha=1 - level, method="beta")
            w = proportion_confint(count, n, alpha=1 - level, method="wilson")
            cases.append({"count": count, "n": n, "level": level,
                          "cp": nums(cp), "wilson": nums(w)})
    pairs = [(5, 10, 2, 10), (0, 12, 3, 15), (12, 12, 0, 12), (30, 60, 20, 58), (1, 5, 4, 5),
             (0, 20, 0, 20), (9, 30, 9, 30), (45, 50, 2, 3)]
    diffs = []
    for c1, n1, c2, n2 in pairs:
        for level in (0.95, 0.99):
            lo, hi = confint_proportions_2indep(c1, n1, c2, n2, method="newcomb",
                                                compare="diff", alpha=1 - level)
            diffs.append({"count1": c1, "n1": n1, "count2": c2, "n2": n2, "level": level,
                          "estimate": num(c1 / n1 - c2 / n2), "lower": num(lo),
                          "upper": num(hi)})
    write("proportions", {"single": cases, "difference": diffs})


# ---------------------------------------------------------------- Mann–Whitney
def mwu_cases():
    rng = np.random.default_rng(11)
    samples = [
        ("four against five", [1.1, 2.3, 3.5, 4.2], [2.0, 5.1, 6.3, 7.7, 8.1]),
        ("one against six", [9.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        ("eight against twelve", [round(float(v), 3) for v in rng.normal(0, 1, 8)],
         [round(float(v), 3) for v in rng.normal(1, 1, 12)]),
        ("separated, seven each", [1, 2, 3, 4, 5, 6, 7.0], [8, 9, 10, 11, 12, 13, 14.0]),
        ("ties, small", [1.0, 2.0, 2.0, 3.0], [2.0, 3.0, 4.0, 4.0, 5.0]),
        ("motor score changes with ties", [float(v) for v in rng.integers(0, 12, 20)],
         [float(v) for v in rng.integers(2, 15, 24)]),
        ("larger without ties", [round(float(v), 4) for v in rng.normal(0, 1, 15)],
         [round(float(v), 4) for v in rng.normal(0.4, 1, 18)]),
        ("U at the centre", [1.0, 4.0], [2.0, 3.0]),
    ]
    cases = []
    for name, a, b in samples:
        ties = len(set(a + b)) < len(a + b)
        methods = ["auto", "asymptotic"] + ([] if ties else ["exact"])
        for method in methods:
            r = stats.mannwhitneyu(a, b, alternative="two-sided", method=method)
            cases.append({"name": name, "a": a, "b": b, "method": method,
                          "u": num(r.statistic), "p": num(r.pvalue)})
        r = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic",
                               use_continuity=False)
        cases.append({"name": name, "a": a, "b": b, "method": "asymptotic-no-continuity",
                      "u": num(r.statistic), "p": num(r.pvalue)})
    write("mann_whitney", cases)


# ---------------------------------------------------------------- survival
def survival_cases():
    rng = np.random.default_rng(24)
    sets = [
        ("small with ties and censoring", [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19,
                                           20, 25, 32, 32, 34, 35],
         [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        ("last time is an event", [1.0, 2.0, 2.0, 3.0, 4.0], [1, 0, 1, 1, 1]),
        ("no censoring", [5.0, 3.0, 8.0, 1.0], [1, 1, 1, 1]),
        ("weeks to AIS conversion", [float(v) for v in rng.integers(1, 25, 40)],
         [int(v) for v in rng.integers(0, 2, 40)]),
    ]
    km = []
    for name, t, e in sets:
        sf = SurvfuncRight(np.array(t, dtype=float), np.array(e, dtype=float))
        km.append({"name": name, "times": [float(v) for v in t], "events": [bool(v) for v in e],
                   "surv_times": nums(sf.surv_times), "n_risk": [int(v) for v in sf.n_risk],
                   "n_events": [int(v) for v in sf.n_events], "surv_prob": nums(sf.surv_prob),
                   "surv_prob_se": nums(sf.surv_prob_se),
                   "quantiles": [[q, num(sf.quantile(q))] for q in (0.25, 0.5, 0.75)]})
    n = 60
    times = [float(v) for v in rng.integers(1, 30, n)]
    events = [int(v) for v in rng.integers(0, 2, n)]
    arm = [str(v) for v in rng.choice(["placebo", "XS228"], n)]
    three = [str(v) for v in rng.choice(["0.5e6", "1e6", "2e6"], n)]
    stratum = [str(v) for v in rng.choice(["cervical", "thoracic"], n)]
    t0, e0 = sets[0][1], sets[0][2]
    g0 = ["a" if i % 2 else "b" for i in range(len(t0))]
    lr_sets = [
        ("two groups, small", t0, e0, g0, None),
        ("two arms", times, events, arm, None),
        ("three dose levels", times, events, three, None),
        ("two arms stratified by level of injury", times, events, arm, stratum),
    ]
    lr = []
    for name, t, e, g, s in lr_sets:
        chisq, p = survdiff(np.array(t, dtype=float), np.array(e, dtype=float), np.array(g),
                            strata=None if s is None else np.array(s))
        lr.append({"name": name, "times": [float(v) for v in t],
                   "events": [bool(v) for v in e], "groups": g, "strata": s,
                   "statistic": num(chisq), "p": num(p)})
    write("survival", {"kaplan_meier": km, "log_rank": lr})


# ---------------------------------------------------------------- Rubin's rules
def rubin_expected(q, u, df_com, level):
    """Rubin's rules with the Barnard-Rubin degrees of freedom, in numpy and scipy."""
    q, u = np.asarray(q, dtype=float), np.asarray(u, dtype=float)
    m = len(q)
    qbar, ubar = q.mean(), u.mean()
    b = q.var(ddof=1)
    t = ubar + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t
    nu_obs = (df_com + 1) / (df_com + 3) * df_com * (1 - lam) if math.isfinite(df_com) else math.inf
    if b == 0:
        nu = nu_obs
    else:
        nu_old = (m - 1) / lam ** 2
        nu = nu_old if math.isinf(nu_obs) else nu_old * nu_obs / (nu_old + nu_obs)
    se = math.sqrt(t)
    dist = stats.norm if math.isinf(nu) else stats.t(nu)
    crit = dist.isf((1 - level) / 2)
    return {"estimate": num(qbar), "within": num(ubar), "between": num(b), "total": num(t),
            "lambda": num(lam), "riv": num((1 + 1 / m) * b / ubar), "df": num(nu),
            "p": num(2 * dist.sf(abs(qbar / se))), "ci_lower": num(qbar - crit * se),
            "ci_upper": num(qbar + crit * se)}


def rubin_cases():
    """Pooled treatment effects: m completed data sets (the missing outcomes drawn anew in
    each), each fitted by statsmodels OLS (outcome ~ treated + baseline); the estimates and
    their squared standard errors pooled by Rubin's rules with numpy, scipy's t."""
    rng = np.random.default_rng(1999)
    cases = []
    for name, n, missing, m, level in (("40 rows, 8 missing, m=20", 40, 8, 20, 0.95),
                                       ("60 rows, 15 missing, m=5", 60, 15, 5, 0.95),
                                       ("24 rows, 3 missing, m=50", 24, 3, 50, 0.90)):
        treated = np.array([i % 3 != 0 for i in range(n)])
        base = rng.normal(40, 12, n).round(0)
        y = 5 + 3.0 * treated + 0.2 * base + rng.normal(0, 6, n)
        gone = rng.choice(n, missing, replace=False)
        x = sm.add_constant(np.column_stack([treated.astype(float), base]))
        q, u, df_com = [], [], None
        for _ in range(m):
            completed = y.copy()
            completed[gone] = 5 + 0.2 * base[gone] + rng.normal(0, 8, missing)
            fit = sm.OLS(completed, x).fit()
            q.append(float(fit.params[1]))
            u.append(float(fit.bse[1] ** 2))
            df_com = float(fit.df_resid)
        cases.append({"name": name, "estimates": nums(q), "variances": nums(u),
                      "df_complete": num(df_com), "level": level,
                      **rubin_expected(q, u, df_com, level)})
    # The same estimates with a large-sample complete-data statistic (df infinite).
    last = cases[0]
    cases.append({"name": "the first case, df_complete infinite",
                  "estimates": last["estimates"], "variances": last["variances"],
                  "df_complete": "inf", "level": 0.95,
                  **rubin_expected(last["estimates"], last["variances"], math.inf, 0.95)})
    write("rubin", cases)


# ---------------------------------------------------------------- the trial's analyses
TRIAL_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "crates",
                         "trial", "tests", "fixtures")


def analysis_subjects(rng, n):
    """Participants of a 2:1 trial as trial::analysis reads them: arm, the three strata at
    randomisation, whether the kit was dispensed, an emergency unblinding, the baseline exam's
    UEMS, LEMS and AIS grade, and the week-24 exam (missing for some, outside its window for
    others)."""
    grades = "ABCDE"
    subjects = []
    for i in range(n):
        arm = "xs228" if i % 3 != 2 else "placebo"
        ais0 = int(rng.integers(0, 3))  # A, B or C
        uems0 = int(rng.integers(0, 40))
        lems0 = int(rng.integers(0, 30)) if ais0 > 0 else int(rng.integers(0, 3))
        week24 = None
        if rng.random() > 0.1:
            gain = 3.0 if arm == "xs228" else 0.0
            uems = int(min(50, max(0, uems0 + round(rng.normal(6 + gain, 5)))))
            lems = int(min(50, max(0, lems0 + round(rng.normal(3 + gain, 6)))))
            step = int(rng.choice([0, 0, 1, 1, 2])) if arm == "xs228" else int(
                rng.choice([0, 0, 0, 1, 2]))
            week24 = {"uems": uems, "lems": lems, "ais": grades[min(4, ais0 + step)],
                      "in_window": bool(rng.random() > 0.1)}
        subjects.append({
            "subject_id": f"S{i + 1:03}", "arm": arm,
            "strata": [grades[ais0], str(rng.choice(["cervical", "thoracolumbar"])),
                       str(rng.choice(["SYSU3", "XUANWU", "SHEPHERD"]))],
            "dispensed": bool(rng.random() > 0.08), "unblinded": i == 7,
            "baseline": {"uems": uems0, "lems": lems0, "ais": grades[ais0]},
            "week24": week24,
        })
    return subjects


def ancova_expected(subjects, param):
    rows = [s for s in subjects if s["week24"] is not None]
    value = (lambda e: e["uems"] + e["lems"]) if param == "tms" else (lambda e: e[param])
    y = [float(value(s["week24"]) - value(s["baseline"])) for s in rows]
    treated = [s["arm"] == "xs228" for s in rows]
    base = [float(value(s["baseline"])) for s in rows]
    factors = [(f"STRAT{k + 1}R", [s["strata"][k] for s in rows]) for k in range(3)]
    x = design(len(y), treated, [("BASE", base)], factors)
    fit = sm.OLS(np.array(y), x).fit()
    lo, hi = fit.conf_int(alpha=0.05)[1]
    ci = stats.t.interval(0.95, len(y) - 1, loc=np.mean(y), scale=stats.sem(y))
    return {"estimate": num(fit.params[1]), "ci_lower": num(lo), "ci_upper": num(hi),
            "p_value": num(fit.pvalues[1]), "n": len(y), "se": num(fit.bse[1]),
            "df": num(fit.df_resid), "n_active": sum(treated),
            "pooled": {"n": len(y), "mean": num(np.mean(y)), "sd": num(np.std(y, ddof=1)),
                       "ci_lower": num(ci[0]), "ci_upper": num(ci[1])}}


def conversion_expected(subjects):
    rows = [s for s in subjects if s["week24"] is not None]
    conv = {s["subject_id"]: "ABCDE".index(s["week24"]["ais"]) > "ABCDE".index(
        s["baseline"]["ais"]) for s in rows}
    counts = {}
    for arm in ("xs228", "placebo"):
        members = [s for s in rows if s["arm"] == arm]
        counts[arm] = (sum(conv[s["subject_id"]] for s in members), len(members))
    (c1, n1), (c2, n2) = counts["xs228"], counts["placebo"]
    lo, hi = confint_proportions_2indep(c1, n1, c2, n2, method="newcomb", compare="diff",
                                        alpha=0.05)
    strata = {}
    for s in rows:
        t = strata.setdefault("/".join(s["strata"]), [[0, 0], [0, 0]])
        t[0 if s["arm"] == "xs228" else 1][0 if conv[s["subject_id"]] else 1] += 1
    tables = [t for t in strata.values() if sum(map(sum, t)) >= 2]
    st = StratifiedTable([np.array(t, dtype=float) for t in tables])
    r = st.test_null_odds(correction=False)
    olo, ohi = st.oddsratio_pooled_confint(alpha=0.05)
    w = proportion_confint(c1 + c2, n1 + n2, alpha=0.05, method="wilson")
    return {"responders_active": c1, "n_active": n1, "responders_control": c2,
            "n_control": n2, "risk_difference": num(c1 / n1 - c2 / n2), "ci_lower": num(lo),
            "ci_upper": num(hi), "cmh_statistic": num(r.statistic), "cmh_p": num(r.pvalue),
            "odds_ratio": num(st.oddsratio_pooled), "or_lower": num(olo), "or_upper": num(ohi),
            "strata": len(tables), "pooled": {"responders": c1 + c2, "n": n1 + n2,
                                              "ci_lower": num(w[0]), "ci_upper": num(w[1])}}


def analysis_cases():
    """The primary and secondary analyses of trial::analysis on the same rows: statsmodels
    OLS with treatment-coded strata (as patsy), scipy's t interval of the pooled mean,
    Newcombe's interval, the CMH test (no correction) and Wilson's interval."""
    rng = np.random.default_rng(24)
    cases = []
    for name, n in (("60 participants, 2:1", 60), ("24 participants, 2:1", 24)):
        subjects = analysis_subjects(rng, n)
        per_protocol = [s for s in subjects if s["dispensed"] and not s["unblinded"]
                        and s["week24"] is not None and s["week24"]["in_window"]]
        cases.append({
            "name": name, "subjects": subjects,
            "primary": ancova_expected(subjects, "tms"),
            "uems": ancova_expected(subjects, "uems"),
            "lems": ancova_expected(subjects, "lems"),
            "per_protocol": ancova_expected(per_protocol, "tms"),
            "ais_conversion": conversion_expected(subjects),
        })
    write("analysis", cases, TRIAL_OUT)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(TRIAL_OUT, exist_ok=True)
    analysis_cases()
    ols_cases()
    ttest_cases()
    fisher_cases()
    cmh_cases()
    proportion_cases()
    mwu_cases()
    survival_cases()
    rubin_cases()

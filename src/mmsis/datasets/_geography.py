"""Org-unit hierarchy and roll-out schedule of the synthetic example country."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

DISTRICT_NAMES = [
    "Amani", "Baraka", "Chemba", "Dalaba", "Ewaso", "Fulani",
    "Gando", "Hobyo", "Iringa", "Jimma", "Kalulu", "Lindi",
    "Malindi", "Nakuru", "Ombeni", "Pemba", "Quelim", "Ruvuma",
    "Sironko", "Tamale", "Ubari", "Voi", "Wenchi", "Yendi",
]

_FACILITY_KINDS = ["Health Centre", "Health Post", "Dispensary", "Clinic"]


def build_org_units(params: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """Country > regions > districts > facilities, with catchment populations."""
    rows: list[dict[str, Any]] = []
    root = {"id": "EXAMPLIA", "name": params["name"], "level": 1, "level_name": "Country",
            "parent_id": None, "path": "/EXAMPLIA"}
    rows.append(root)
    lo, hi = params["district_population"]
    f_lo, f_hi = params["facilities_per_district"]
    d_index = 0
    fac_index = 0
    per_region = params["districts_per_region"]
    for region in params["regions"]:
        r_path = f"{root['path']}/{region['id']}"
        rows.append({"id": region["id"], "name": f"{region['name']} Region", "level": 2,
                     "level_name": "Region", "parent_id": root["id"], "path": r_path})
        for _ in range(per_region):
            d_index += 1
            d_id = f"DIS{d_index:02d}"
            d_path = f"{r_path}/{d_id}"
            d_name = f"{DISTRICT_NAMES[(d_index - 1) % len(DISTRICT_NAMES)]} District"
            rows.append({"id": d_id, "name": d_name, "level": 3, "level_name": "District",
                         "parent_id": region["id"], "path": d_path})
            pop = float(rng.uniform(lo, hi))
            n_fac = int(rng.integers(f_lo, f_hi + 1))
            shares = rng.dirichlet(np.full(n_fac, 4.0))
            # the first facility of each district is the district hospital
            for j in range(n_fac):
                fac_index += 1
                f_id = f"FAC{fac_index:04d}"
                kind = "Hospital" if j == 0 else _FACILITY_KINDS[j % len(_FACILITY_KINDS)]
                rows.append({
                    "id": f_id,
                    "name": f"{d_name.split()[0]} {kind} {j + 1}",
                    "level": 4,
                    "level_name": "Facility",
                    "parent_id": d_id,
                    "path": f"{d_path}/{f_id}",
                    "population": round(pop * shares[j]),
                })
    df = pd.DataFrame(rows)
    df["opening_date"] = "2000-01-01"
    # populations of higher levels are the sums of their facilities
    fac = df[df["level"] == 4]
    for level in (3, 2, 1):
        mask = df["level"] == level
        df.loc[mask, "population"] = [
            fac.loc[fac["path"].str.startswith(p + "/"), "population"].sum()
            for p in df.loc[mask, "path"]
        ]
    df["population"] = df["population"].astype("int64")
    return df[["id", "name", "level", "level_name", "parent_id", "path", "population",
               "opening_date"]]


def build_rollout(org_units: pd.DataFrame, params: dict[str, Any],
                  rng: np.random.Generator) -> pd.DataFrame:
    """One pilot district per region first, then the other districts in waves of four."""
    districts = org_units[org_units["level"] == 3].copy()
    pilots: list[str] = []
    for _, group in districts.groupby("parent_id", sort=True):
        pilots.append(str(rng.choice(group["id"].to_numpy())))
    rest = [d for d in districts["id"] if d not in pilots]
    rest = list(rng.permutation(rest))
    starts: dict[str, str] = {d: params["rollout"]["pilot_start"] for d in pilots}
    waves = params["rollout"]["waves"]
    per_wave = int(np.ceil(len(rest) / len(waves)))
    for i, d in enumerate(rest):
        starts[str(d)] = waves[min(i // per_wave, len(waves) - 1)]
    out = pd.DataFrame({
        "district_id": districts["id"].to_numpy(),
        "district_name": districts["name"].to_numpy(),
        "region_id": districts["parent_id"].to_numpy(),
    })
    out["mms_start"] = out["district_id"].map(starts)
    out["pilot"] = out["district_id"].isin(pilots)
    return out.sort_values(["mms_start", "district_id"]).reset_index(drop=True)

"""Batch scoring for partner systems: up to 10,000 USCCs of their own regions per call."""

from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter, HTTPException, Response

from api.http.deps import SCORERS, Audit, BackendDep, CurrentPrincipal, allow
from api.http.models import BatchIn, BatchOut
from api.http.problems import responses

router = APIRouter(tags=["scores"])


@router.post("/scores:batch", response_model=BatchOut,
             responses=responses(401, 403, 404, 413, 422, 429, 503), **allow(*SCORERS))
def batch(body: BatchIn, backend: BackendDep, principal: CurrentPrincipal,
          audit: Audit) -> Response:
    """Risk results of many enterprises from the month's snapshot; unknown USCCs are listed,
    not fatal. A known enterprise outside the caller's regions makes the call 403."""
    if len(body.usccs) > backend.settings.max_batch:
        raise HTTPException(413, f"at most {backend.settings.max_batch:,} USCCs per call")
    month = body.month or backend.results.latest()
    usccs = [u.strip().upper() for u in body.usccs]
    if principal.regions:
        regions = backend.region_of(usccs)
        outside = [u for u, r in regions.items() if not principal.may_see_region(str(r))]
        if outside:
            raise HTTPException(403, f"{len(outside)} enterprise(s) outside your regions, "
                                     f"e.g. {', '.join(map(str, outside[:5]))}")
    items, known, unknown = backend.results.results(usccs, month)
    digest = hashlib.sha256("\n".join(sorted(set(usccs))).encode()).hexdigest()
    audit("risk.batch", "scores", month=month, requested=len(usccs), returned=len(items),
          unknown=len(unknown), usccs_sha256=digest, usccs=known)
    # The items are serialised already (RiskResult's shape): join them, no re-encoding.
    payload = (f'{{"month":{json.dumps(month)},"items":[' + ",".join(items) + '],"unknown":'
               + json.dumps(unknown) + "}")
    return Response(payload.encode(), media_type="application/json")

"""The guide's service with a shadow duel: runnable against a flagroute server.

For each query it asks flagroute which backend serves it (OpenFeature, over OFREP), answers
with that backend, and, when the decision says ``shadow: "lightrag"``, also asks LightRAG in
the shadow (its answer is never shown), has a judge compare the two answers, and posts the
pair as one outcome. Standard library plus the OpenFeature SDK and its OFREP provider.

    FLAGROUTE_URL=http://127.0.0.1:8016 FLAGROUTE_INGEST_TOKEN=... python3 shadow_duel.py

The two backends and the judge are synthetic (seeded), so the run is repeatable; replace
``call_lightrag``, ``call_perplexity`` and ``judge`` with the real calls. It prints what it did
as one JSON line. See docs/shadow.md.
"""

import json
import os
import random
import sys
import time
import urllib.request

from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.flag_evaluation import Reason

FLAGROUTE = os.environ.get("FLAGROUTE_URL", "http://127.0.0.1:8016")
INGEST_TOKEN = os.environ["FLAGROUTE_INGEST_TOKEN"]
USERS = int(os.environ.get("SHADOW_DUEL_USERS", "40"))
QUERIES_PER_USER = int(os.environ.get("SHADOW_DUEL_QUERIES", "5"))

api.set_provider(OFREPProvider(base_url=FLAGROUTE))
client = api.get_client()
rng = random.Random(30)


def call_perplexity(query):
    """The incumbent (synthetic): an answer and what the call measured."""
    return {"success": rng.random() > 0.02, "latencyMs": round(rng.gauss(1200, 150), 1),
            "quality": round(min(1.0, max(0.0, rng.gauss(0.72, 0.08))), 4), "costUsd": 0.002,
            "answer": f"perplexity: {query}"}


def call_lightrag(query):
    """The candidate (synthetic): a little slower and dearer, a little better."""
    return {"success": rng.random() > 0.04, "latencyMs": round(rng.gauss(1350, 180), 1),
            "quality": round(min(1.0, max(0.0, rng.gauss(0.78, 0.08))), 4), "costUsd": 0.003,
            "answer": f"lightrag: {query}"}


def judge(served, shadow):
    """A pairwise judge (synthetic): the clearly better answer wins, else a tie."""
    if not shadow["success"]:
        return "perplexity"
    if not served["success"]:
        return "lightrag"
    gap = shadow["quality"] - served["quality"]
    return "lightrag" if gap > 0.05 else "perplexity" if gap < -0.05 else "tie"


def measured(call):
    """The outcome fields of a call (a failed call reports no quality)."""
    fields = {"success": call["success"], "latencyMs": max(0.0, call["latencyMs"]),
              "costUsd": call["costUsd"]}
    if call["success"]:
        fields["quality"] = call["quality"]
    return fields


def post_outcome(outcome):
    request = urllib.request.Request(
        f"{FLAGROUTE}/v1/outcomes", data=json.dumps(outcome).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {INGEST_TOKEN}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def answer(user_id, request_id, query, tally):
    """Serves one query; shadows it when flagroute says so; reports the outcome (or the pair)."""
    context = EvaluationContext(targeting_key=user_id,
                                attributes={"queryText": query, "requestId": request_id})
    details = client.get_string_details("backend", "perplexity", context)
    if details.reason == Reason.ERROR:
        print(f"flagroute: {details.error_code}: {details.error_message}", file=sys.stderr)
        return call_perplexity(query)["answer"]
    metadata = details.flag_metadata
    served = call_lightrag(query) if details.value == "lightrag" else call_perplexity(query)
    outcome = {"userId": user_id, **measured(served)}
    # A token ties the outcome on any instance of a fleet; a decision id on this one.
    if "decisionToken" in metadata:
        outcome["decisionToken"] = metadata["decisionToken"]
    else:
        outcome["decisionId"] = metadata["decisionId"]
    if metadata.get("shadow") == "lightrag":
        # After serving: the user never waits for the shadow, and never sees its answer.
        shadow = call_lightrag(query)
        outcome["shadow"] = measured(shadow)
        outcome["preference"] = {"winner": judge(served, shadow), "judge": "synthetic-judge"}
        tally["shadowed"] += 1
    tally[details.value] += 1
    post_outcome(outcome)
    return served["answer"]


def main():
    tally = {"decisions": 0, "lightrag": 0, "perplexity": 0, "shadowed": 0}
    started = time.monotonic()
    for user in range(USERS):
        for query in range(QUERIES_PER_USER):
            answer(f"user-{user}", f"user-{user}-q{query}", f"question {query} of user {user}", tally)
            tally["decisions"] += 1
    tally["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(tally))


if __name__ == "__main__":
    main()

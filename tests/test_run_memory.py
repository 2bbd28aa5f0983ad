"""A run lets go of its trained tables when `train()` returns, before anything else (`--show-neighbours`) loads the model."""

import pytest
from fresh_interpreter import ROOT, run_script

# A fresh interpreter, so that TensorFlow is imported inside train(), from the
# main thread (the background import is turned off): TensorFlow's import
# leaves a reference cycle whose frames lead back to train()'s own, and the
# run freezes what exists once it has started, that cycle included. The
# tables are counted as soon as train() returns, then again after a full
# collection, to tell a cycle from a plain reference.
RUN_SCRIPT = """
import gc, json, sys, threading, weakref
from unsup_embed.config import RunOptions, TrainConfig
from unsup_embed.training import run
run.import_training_in_background = lambda subwords: threading.Thread(target=lambda: None)
tables = []
real_export = run.export
def export(output, binary, vocabulary, trained, *rest):
    tables.extend(weakref.ref(table) for table in trained.tables.values())
    return real_export(output, binary, vocabulary, trained, *rest)
run.export = export
config = TrainConfig(epochs=1, dim=16, seed=3, subwords=True, buckets=1000)
result = run.train(sys.argv[1], sys.argv[2], config, RunOptions(quiet=True, compile_cache="off"))
alive = sum(table() is not None for table in tables)
gc.collect()
print(json.dumps({"tables": len(tables), "alive": alive, "cyclic": alive - sum(table() is not None for table in tables)}))
"""


@pytest.mark.slow  # a whole run in a fresh interpreter: some 10 s
def test_the_trained_tables_are_freed_when_train_returns(tmp_path):
    result = run_script(RUN_SCRIPT, str(ROOT / "data" / "toy_world.txt"), str(tmp_path / "model.bin"))
    assert result["tables"] == 2  # the input table (words and n-grams) and the output table
    assert result["alive"] == 0, f"{result['alive']} trained table(s) outlived train(), {result['cyclic']} of them held by a reference cycle"

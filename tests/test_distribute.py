"""The model trains under a tf.distribute strategy (the multi-device path is issue-level work later;
this guards that nothing in the model or its step prevents it)."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import numpy as np, tensorflow as tf, keras
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from unsup_embed.model import SkipGramModel
    steps, batch, group, negative, vocabulary = 2, 128, 64, 5, 50
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        model = SkipGramModel(vocabulary, 8, negative_group=group, steps_per_call=steps, seed=0)
        model.build()
        model.compile(optimizer=keras.optimizers.SGD(0.025))
        model.optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(0)
    blocks = 4
    # Pairs with structure: word i's neighbour is i + 1, so the loss can fall.
    words = rng.integers(0, vocabulary - 1, (blocks, steps, batch)).astype("int32")
    data = {
        "word": words, "neighbour": words + 1,
        "negatives": rng.integers(0, vocabulary, (blocks, steps, batch // group, negative)).astype("int32"),
        "weight": np.ones((blocks, steps, batch), "float32"),
        "learning_rate": np.full((blocks, steps), 0.05, "float32"),
        "words": np.ones((blocks, steps), "float32"),
    }
    dataset = tf.data.Dataset.from_tensor_slices(data).unbatch().batch(steps)
    dataset = dataset.map(lambda block: (block, tf.zeros_like(block["weight"])))
    history = model.fit(dataset, epochs=5, verbose=0)
    losses = history.history["loss"]
    print("replicas", strategy.num_replicas_in_sync, "first", losses[0], "last", losses[-1])
    assert strategy.num_replicas_in_sync == 2
    assert losses[-1] < losses[0], losses
    """
)


def test_model_trains_under_mirrored_strategy_on_two_logical_cpus():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "replicas 2" in result.stdout

"""Faults: a training run or a save killed with SIGKILL leaves the previous model intact; a
corrupt MNIST file fails its checksum, naming the file."""

from __future__ import annotations

import gzip
import shutil
import signal
import subprocess
import sys

import pytest

from drawadigit.data import mnist
from drawadigit.model import tf_runtime
from drawadigit.training import networks
from tests.support import PROGRAMS, ROOT


def test_training_killed_with_sigkill_leaves_the_previous_model_intact(tmp_path, mnist_dir):
    model_path = tmp_path / "model.h5"
    previous = tf_runtime.save_atomic(networks.build_dense(), model_path).read_bytes()
    process = subprocess.Popen(
        [
            sys.executable,
            "FlaskApp/kerasModel.py",
            "train",
            "--arch",
            "dense",
            "--epochs",
            "50",
            "--limit",
            "20000",
            "--out",
            str(model_path),
            "--mnist-dir",
            str(mnist_dir),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in process.stdout:  # kill it in the middle of training: epoch 2 has begun
            if line.startswith("Epoch 2/"):
                break
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    assert model_path.read_bytes() == previous
    tf_runtime.load(model_path)  # and still loads


def test_a_save_killed_with_sigkill_leaves_the_previous_model_intact(tmp_path):
    model_path = tmp_path / "model.h5"
    previous = tf_runtime.save_atomic(networks.build_dense(), model_path).read_bytes()
    process = subprocess.Popen(
        [sys.executable, PROGRAMS / "kill_mid_save.py", str(model_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "saving"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        process.stdout.close()
    assert model_path.read_bytes() == previous


def test_a_corrupt_mnist_file_fails_its_checksum_naming_the_file(tmp_path, mnist_dir):
    for name in mnist.FILES:
        shutil.copy(mnist_dir / f"{name}.gz", tmp_path / f"{name}.gz")
    target = tmp_path / "t10k-labels-idx1-ubyte.gz"
    with gzip.open(target, "wb") as f:
        f.write(b"\0\0\x08\x01" + b"\0" * 12)
    with pytest.raises(mnist.MNISTError) as error:
        mnist.load_mnist(tmp_path, download=False)
    assert str(target) in str(error.value) and "sha256 mismatch" in str(error.value)

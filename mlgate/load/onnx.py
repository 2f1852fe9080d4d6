"""An ONNX model (onnxruntime) behind the scikit-learn predict / predict_proba interface."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

ONNX_TYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(string)": object,
    "tensor(bool)": np.bool_,
}


class OnnxModel:
    """Runs an ONNX graph on a frame: one tensor input of all features, or one input per column."""

    def __init__(self, path: Path) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = self.session.get_inputs()
        outputs = [o.name for o in self.session.get_outputs()]
        self.label_output = outputs[0]
        self.proba_output = outputs[1] if len(outputs) > 1 else None
        self.classes_: Any = None
        # the last frame scored and its outputs (predict, then predict_proba, run the graph once);
        # held, not its id(): a freed frame's id is handed to the next one
        self._cache: tuple[Any, Any] | None = None

    def _feed(self, frame: Any) -> dict[str, Any]:
        if len(self.inputs) == 1:
            spec = self.inputs[0]
            dtype = ONNX_TYPES.get(spec.type, np.float32)
            return {spec.name: np.asarray(frame, dtype=dtype)}
        feed = {}
        for spec in self.inputs:
            if spec.name not in frame.columns:
                raise ValueError(f"the ONNX graph needs a column {spec.name!r} the data lacks")
            dtype = ONNX_TYPES.get(spec.type, np.float32)
            feed[spec.name] = frame[[spec.name]].to_numpy().astype(dtype)
        return feed

    def _run(self, frame: Any) -> tuple[Any, Any]:
        if self._cache is not None and self._cache[0] is frame:
            cached: tuple[Any, Any] = self._cache[1]
            return cached
        wanted = [self.label_output] + ([self.proba_output] if self.proba_output else [])
        results = self.session.run(wanted, self._feed(frame))
        label = np.asarray(results[0]).reshape(len(frame), -1)
        label = label[:, 0] if label.shape[1] == 1 else label
        proba = None
        if self.proba_output:
            raw = results[1]
            if isinstance(raw, list) and raw and isinstance(raw[0], dict):  # skl2onnx ZipMap
                classes = list(raw[0].keys())
                self.classes_ = np.asarray(classes)
                proba = np.array([[row[c] for c in classes] for row in raw], dtype=float)
            else:
                proba = np.asarray(raw, dtype=float)
        if proba is not None and self.classes_ is None:
            self.classes_ = (
                np.unique(label)
                if proba.shape[1] == len(np.unique(label))
                else (np.arange(proba.shape[1]))
            )
        self._cache = (frame, (label, proba))
        return label, proba

    def predict(self, frame: Any) -> Any:
        return self._run(frame)[0]

    def predict_proba(self, frame: Any) -> Any:
        return self._run(frame)[1]

#!/usr/bin/python3
"""Checks ONNX files that Xent exported with the official checker (Debian's python3-onnx, onnx 1.12).

Usage: /usr/bin/python3 tools/onnx/check_onnx.py FILE_OR_DIR...
Runs onnx.checker.check_model(m, full_check=True) (schema, opset, IR version and strict shape inference) on each
file, then checks what the exporter promises: opset >= 13, IR version <= 8 (onnx 1.12 reads no newer), one float32
input 'input' with a symbolic batch dimension, outputs 'logits' and 'probabilities' of shape (batch, K), and a
'class_names' JSON array of K names in metadata_props. Exit status 0 when every file passes, 1 otherwise.
tools/onnx/check.sh exports the test suite's models and runs this on them.
"""
import json
import pathlib
import sys

import onnx
from onnx import TensorProto


def dims(value_info):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def check(path):
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    problems = []
    opset = {o.domain: o.version for o in model.opset_import}.get("", 0)
    if opset < 13:
        problems.append(f"opset {opset} < 13")
    if model.ir_version > 8:
        problems.append(f"IR version {model.ir_version} > 8")
    inputs = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    if [i.name for i in inputs] != ["input"]:
        problems.append(f"inputs {[i.name for i in inputs]}, expected ['input']")
    elif inputs[0].type.tensor_type.elem_type != TensorProto.FLOAT or not isinstance(dims(inputs[0])[0], str):
        problems.append("input is not float32 with a symbolic batch dimension")
    outputs = {o.name: dims(o) for o in model.graph.output}
    if sorted(outputs) != ["logits", "probabilities"]:
        problems.append(f"outputs {sorted(outputs)}, expected ['logits', 'probabilities']")
    else:
        k = outputs["logits"][1]
        meta = {p.key: p.value for p in model.metadata_props}
        names = json.loads(meta.get("class_names", "null"))
        if not isinstance(names, list) or len(names) != k:
            problems.append(f"class_names {names!r} do not name the {k} outputs")
        # Strict shape inference must agree with the declared output shapes.
        inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
        for o in inferred.graph.output:
            if dims(o)[1:] != [k]:
                problems.append(f"inferred shape of {o.name} is {dims(o)}")
    return problems


def main(argv):
    files = []
    for arg in argv:
        p = pathlib.Path(arg)
        files += sorted(p.glob("*.onnx")) if p.is_dir() else [p]
    if not files:
        print("check_onnx.py: no .onnx files given", file=sys.stderr)
        return 1
    failed = 0
    for f in files:
        try:
            problems = check(f)
        except Exception as e:  # the checker's own errors (ValidationError, InferenceError)
            problems = [f"{type(e).__name__}: {e}"]
        print(("ok    " if not problems else "FAIL  ") + str(f) + "".join("\n      " + p for p in problems))
        failed += bool(problems)
    print(f"{len(files) - failed}/{len(files)} passed onnx.checker.check_model(full_check=True) (onnx {onnx.__version__})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

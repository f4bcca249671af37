"""Releasing an assignment: notebooks through nbgrader, package stubs, no solution anywhere."""
import subprocess
import sys

import nbformat
import pytest

from autograder import leaks, markup
from autograder.course import Course, CourseError, copy_course
from autograder.release import release_assignment

pytestmark = pytest.mark.e2e

# The functions each assignment asks students to write, by package file.
A1_STUDENT_FUNCTIONS = {
    "cs231n/classifiers/k_nearest_neighbor.py": [
        "compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops", "predict_labels"],
    "cs231n/classifiers/linear_svm.py": ["svm_loss_naive", "svm_loss_vectorized"],
    "cs231n/classifiers/softmax.py": ["softmax_loss_naive", "softmax_loss_vectorized"],
    "cs231n/classifiers/linear_classifier.py": ["train", "predict"],
    "cs231n/layers.py": ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "svm_loss", "softmax_loss"],
    "cs231n/classifiers/fc_net.py": ["__init__", "loss"],
}
PYTORCH_NETS_FUNCTIONS = ["flatten", "two_layer_fc", "three_layer_convnet", "random_weight", "zero_weight",
                          "__init__", "forward"]
A2_STUDENT_FUNCTIONS = {
    "cs231n/layers.py": [
        "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "layernorm_forward",
        "layernorm_backward", "dropout_forward", "dropout_backward", "conv_forward_naive", "conv_backward_naive",
        "max_pool_forward_naive", "max_pool_backward_naive", "spatial_batchnorm_forward",
        "spatial_batchnorm_backward", "spatial_groupnorm_forward", "spatial_groupnorm_backward"],
    "cs231n/optim.py": ["sgd_momentum", "rmsprop", "adam"],
    "cs231n/classifiers/fc_net.py": ["__init__", "loss"],
    "cs231n/classifiers/cnn.py": ["__init__", "loss"],
    "cs231n/classifiers/pytorch_nets.py": PYTORCH_NETS_FUNCTIONS,
}
A3_STUDENT_FUNCTIONS = {
    "cs231n/rnn_layers.py": [
        "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward", "word_embedding_forward",
        "word_embedding_backward", "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
        "dot_product_attention", "dot_product_attention_backward", "attention_lstm_step_forward",
        "attention_lstm_step_backward", "attention_lstm_forward", "attention_lstm_backward"],
    "cs231n/classifiers/rnn.py": ["loss", "sample"],
    "cs231n/transformer_layers.py": ["__init__", "forward"],
    "cs231n/classifiers/transformer.py": ["forward", "sample"],
    "cs231n/gan_pytorch.py": [
        "sample_noise", "discriminator", "generator", "discriminator_loss", "generator_loss", "get_optimizer",
        "ls_discriminator_loss", "ls_generator_loss", "build_dc_classifier", "build_dc_generator"],
    "cs231n/simclr/contrastive_loss.py": [
        "sim", "simclr_loss_naive", "sim_positive_pairs", "compute_sim_matrix", "simclr_loss_vectorized"],
    "cs231n/simclr/data_utils.py": ["compute_train_transform", "__getitem__"],
    "cs231n/simclr/utils.py": ["train"],
}
STUDENT_FUNCTIONS = {"assignment1": A1_STUDENT_FUNCTIONS, "assignment2": A2_STUDENT_FUNCTIONS,
                     "assignment3": A3_STUDENT_FUNCTIONS}


@pytest.fixture(scope="module", params=sorted(STUDENT_FUNCTIONS))
def released(request, tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("course"))
    files = release_assignment(course, request.param)
    return course, files, request.param


def test_release_holds_every_notebook_and_the_package(released):
    course, files, assignment = released
    release = course.release(assignment)
    names = {p.relative_to(release).as_posix() for p in files}
    for nb in course.notebooks(assignment):
        assert f"{nb}.ipynb" in names
    for rel in STUDENT_FUNCTIONS[assignment]:
        assert rel in names
    assert "cs231n/solver.py" in names and "cs231n/data_utils.py" in names
    # students build the course environment from the release alone
    assert {"environment.yml", "requirements.txt"} <= names
    assert "-r requirements.txt" in (release / "environment.yml").read_text()


def test_every_student_function_is_a_stub_that_says_what_to_write(released):
    course, _, assignment = released
    release = course.release(assignment)
    number = assignment[-1]
    for rel, functions in STUDENT_FUNCTIONS[assignment].items():
        text = (release / rel).read_text()
        for name in functions:
            assert f"Assignment {number}: write `{name}` in {rel}" in text, f"{rel}: no stub for {name}"
        assert "BEGIN SOLUTION" not in text


def test_earlier_assignments_ship_solved():
    """Assignment 2 builds on Assignment 1's layers: its release holds them solved."""
    course = Course()
    solved = markup.strip_solutions((course.package / "layers.py").read_text(), 2)
    assert "write `affine_forward`" not in solved and "write `softmax_loss`" not in solved
    assert "write `batchnorm_forward`" in solved


# A call of one stub per assignment, and the start of what it must say.
STUB_CALLS = {
    "assignment1": ("from cs231n.classifiers.linear_svm import svm_loss_vectorized\n"
                    "svm_loss_vectorized(np.zeros((3, 2)), np.zeros((4, 3)), np.zeros(4, int), 0.0)",
                    "Assignment 1: write `svm_loss_vectorized`"),
    "assignment2": ("from cs231n.optim import adam\nadam(np.zeros(3), np.ones(3))",
                    "Assignment 2: write `adam`"),
    "assignment3": ("from cs231n.rnn_layers import rnn_step_forward\n"
                    "rnn_step_forward(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((3, 4)), np.zeros((4, 4)), "
                    "np.zeros(4))",
                    "Assignment 3: write `rnn_step_forward`"),
}


def test_released_stubs_raise_not_implemented(released):
    course, _, assignment = released
    call, message = STUB_CALLS[assignment]
    code = "import numpy as np\ntry:\n" + "".join(f"    {line}\n" for line in call.splitlines()) + (
        "except NotImplementedError as err:\n"
        "    print('stub:', err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=course.release(assignment),
                         capture_output=True, text=True, check=True).stdout
    assert f"stub: {message}" in out


def test_release_contains_no_solution_text(released):
    course, _, assignment = released
    number = markup.assignment_number(assignment)
    assert leaks.find_leaks(course.root, [course.release(assignment)], assignment=number) == []
    # the scan is not vacuous: the course has secrets to look for
    assert len(leaks.collect_secrets(course.root, assignment=number)) > 50


def test_release_keeps_public_tests_and_drops_hidden_ones(released):
    course, _, assignment = released
    graded_public = 0
    for name in course.notebooks(assignment):
        src = nbformat.read(course.source(assignment) / f"{name}.ipynb", as_version=4)
        rel = nbformat.read(course.release(assignment) / f"{name}.ipynb", as_version=4)
        ids = lambda nb: [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert ids(src) == ids(rel)
        graded_public += len(ids(rel))
        assert not any("HIDDEN TESTS" in c.source for c in rel.cells)
    assert graded_public >= 15


def test_a_stray_copy_of_a_solution_fails_the_release(tmp_path):
    """An editor's backup of a solution file ships byte for byte: the scan must stop it."""
    course = copy_course(tmp_path)
    solved = course.package / "classifiers" / "linear_svm.py"
    (solved.parent / "linear_svm.py.orig").write_text(solved.read_text())
    with pytest.raises(CourseError, match="contains solution text"):
        release_assignment(course, "assignment1")
    assert not course.release("assignment1").exists()


def test_unknown_assignment_is_a_clear_error(tmp_path):
    course = copy_course(tmp_path)
    with pytest.raises(CourseError, match="no notebooks"):
        release_assignment(course, "assignment9")

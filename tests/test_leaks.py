import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import leaks

PACKAGE = '''\
def svm_loss(W, X, y, reg):
    loss = 0.0
    ### BEGIN SOLUTION assignment1
    margins = np.maximum(0, scores - correct[:, None] + 1)
    loss = margins.sum() / num_train
    ### END SOLUTION
    return loss


def later():
    ### BEGIN SOLUTION assignment2
    running_mean = momentum * running_mean + (1 - momentum) * mu
    loss = margins.sum() / num_train
    ### END SOLUTION
'''


def _course(tmp_path):
    (tmp_path / "cs231n").mkdir()
    (tmp_path / "cs231n" / "svm.py").write_text(PACKAGE)
    nb = new_notebook(cells=[
        new_code_cell("best_k = None\n### BEGIN SOLUTION\nbest_k = k_choices[int(np.argmax(mean_accuracies))]\n### END SOLUTION",
                      metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "cv", "locked": False}}),
        new_code_cell("assert best_k is not None\n### BEGIN HIDDEN TESTS\nassert abs(hidden_expected_loss - 2.30258) < 1e-4\n### END HIDDEN TESTS",
                      metadata={"nbgrader": {"solution": False, "grade": True, "grade_id": "t", "locked": True, "points": 1}}),
        new_markdown_cell("Bright rows are test images far from every training image.",
                          metadata={"nbgrader": {"solution": True, "grade": True, "grade_id": "q", "points": 1}}),
    ])
    folder = tmp_path / "assignments" / "source" / "assignment1"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "knn.ipynb")
    return tmp_path


def test_secrets_cover_package_notebook_solutions_hidden_tests_and_answers(tmp_path):
    root = _course(tmp_path)
    texts = {s.text: s.kind for s in leaks.collect_secrets(root)}
    assert texts["margins = np.maximum(0, scores - correct[:, None] + 1)"] == "solution"
    assert texts["best_k = k_choices[int(np.argmax(mean_accuracies))]"] == "solution"
    assert texts["assert abs(hidden_expected_loss - 2.30258) < 1e-4"] == "hidden test"
    assert "Bright rows are test images far from every training image." in texts
    # public scaffolding and short lines are not secrets
    assert "best_k = None" not in texts and "return loss" not in texts


def test_scope_by_assignment(tmp_path):
    root = _course(tmp_path)
    a2 = {s.text for s in leaks.collect_secrets(root, assignment=2)}
    # a line of assignment 2 that assignment 1's solution already has ships solved with it: not a secret
    assert a2 == {"running_mean = momentum * running_mean + (1 - momentum) * mu"}
    a1 = {s.text for s in leaks.collect_secrets(root, assignment=1)}
    assert "loss = margins.sum() / num_train" in a1


def test_finds_code_in_html_spans_and_markers(tmp_path):
    root = _course(tmp_path)
    page = tmp_path / "site" / "page.html"
    page.parent.mkdir()
    page.write_text('<pre><span class="n">loss</span> <span class="o">=</span> '
                    '<span class="n">margins</span>.sum() / num_train</pre>')
    found = leaks.find_leaks(root, [tmp_path / "site"])
    assert [leak.secret.text for leak in found] == ["loss = margins.sum() / num_train"]
    page.write_text("<p>### BEGIN SOLUTION</p>")
    assert [leak.secret.kind for leak in leaks.find_leaks(root, [page])] == ["marker"]


def test_clean_target_has_no_leaks(tmp_path):
    root = _course(tmp_path)
    clean = tmp_path / "clean.py"
    clean.write_text(PACKAGE.split("### BEGIN")[0] + "    return loss\n")
    assert leaks.find_leaks(root, [clean]) == []


def test_allowed_text_exempts_own_solutions_but_never_hidden_tests(tmp_path):
    root = _course(tmp_path)
    feedback = tmp_path / "fb.html"
    feedback.write_text("best_k = k_choices[int(np.argmax(mean_accuracies))]\n"
                        "assert abs(hidden_expected_loss - 2.30258) < 1e-4")
    own = "best_k = k_choices[int(np.argmax(mean_accuracies))]"
    kinds = [leak.secret.kind for leak in leaks.find_leaks(root, [feedback], allowed=own)]
    assert kinds == ["hidden test"]


def test_precomputed_secrets_are_used_as_given(tmp_path):
    root = _course(tmp_path)
    target = tmp_path / "t.txt"
    target.write_text("loss = margins.sum() / num_train")
    assert len(leaks.find_leaks(root, [target])) == 1
    assert leaks.find_leaks(root, [target], secrets=[]) == []
    only = [s for s in leaks.collect_secrets(root) if "margins.sum()" in s.text]
    assert [leak.secret for leak in leaks.find_leaks(root, [target], secrets=only)] == only

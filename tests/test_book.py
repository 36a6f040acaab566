"""The book machinery: configuration, TOC, glossary, bibliography, chapter conventions (Colab setup
cell, executed cells, exercise links), the repository URL defined once, and the built HTML
(every TOC page, no solutions). The browser checks are in test_book_browser.py; the build
fixture (`built_book`) is in conftest.py.
"""
from __future__ import annotations

import re

from conftest import (REPO_ROOT, chapter_notebooks, code_cells, colab_url, config, org_repo, read_nb, repo_url,
                      toc_chapters, toc_docs)

# Graded exercise of each chapter (nbgrader assignment names); Chapter 0 has none.
ASSIGNMENTS = {
    "01_perceptron": "ch01_perceptron", "02_mlp": "ch02_mlp", "03_loss_gradient_descent": "ch03_loss_gd",
    "04_backpropagation": "ch04_backprop", "05_optimizers_initialization": "ch05_optimizers",
    "06_regularization": "ch06_regularization", "07_cnn": "ch07_cnn", "08_rnn": "ch08_rnn",
    "09_lstm_gru": "ch09_lstm_gru", "10_attention_transformers": "ch10_attention",
    "11_transfer_learning": "ch11_transfer", "12_modern_cnns": "ch12_modern_cnn",
    "13_detection_segmentation": "ch13_detection", "14_tokens_embeddings": "ch14_tokens_embeddings",
    "15_seq2seq_attention": "ch15_seq2seq", "16_text_classification_pretraining": "ch16_text_pretraining",
    "17_autoencoders": "ch17_autoencoders", "18_vae_gan": "ch18_vae_gan", "19_diffusion": "ch19_diffusion",
    "20_reinforcement_learning": "ch20_rl",
}
# Required glossary terms -> the chapter that teaches them. Once that chapter is in the TOC, the
# glossary entry must link into it ({doc} to the chapter, or {ref} to a label defined in it).
GLOSSARY_HOME = {
    "deep learning": "00_introduction", "supervised learning": "00_introduction",
    "unsupervised learning": "00_introduction", "reinforcement learning": "00_introduction",
    "feature": "00_introduction", "representation learning": "00_introduction",
    "perceptron": "01_perceptron",
    "activation function": "02_mlp", "multilayer perceptron": "02_mlp", "relu": "02_mlp", "tanh": "02_mlp",
    "softmax": "03_loss_gradient_descent", "decision boundary": "01_perceptron", "linearly separable": "01_perceptron",
    "forward propagation": "02_mlp", "computational graph": "04_backpropagation", "gradient checking": "04_backpropagation",
    "loss function": "03_loss_gradient_descent", "gradient descent": "03_loss_gradient_descent",
    "stochastic gradient descent": "03_loss_gradient_descent", "epoch": "03_loss_gradient_descent",
    "batch size": "03_loss_gradient_descent", "learning rate": "03_loss_gradient_descent",
    "cross-entropy": "03_loss_gradient_descent",
    "backpropagation": "04_backpropagation",
    "optimizer": "05_optimizers_initialization", "adam": "05_optimizers_initialization",
    "momentum": "05_optimizers_initialization", "weight initialization": "05_optimizers_initialization",
    "xavier initialization": "05_optimizers_initialization", "he initialization": "05_optimizers_initialization",
    "vanishing gradient": "04_backpropagation",
    "overfitting": "06_regularization", "underfitting": "06_regularization", "dropout": "06_regularization",
    "regularization": "06_regularization", "early stopping": "06_regularization",
    "batch normalization": "06_regularization", "hyperparameters": "06_regularization",
    "cnn": "07_cnn", "convolution": "07_cnn", "pooling": "07_cnn",
    "rnn": "08_rnn", "lstm": "09_lstm_gru", "gru": "09_lstm_gru",
    "attention": "10_attention_transformers", "transformer": "10_attention_transformers",
    "embedding": "10_attention_transformers",
    "transfer learning": "11_transfer_learning", "fine-tuning": "11_transfer_learning",
    "pretrained model": "11_transfer_learning",
    "residual connection": "12_modern_cnns", "data augmentation": "12_modern_cnns",
    "global average pooling": "12_modern_cnns", "1×1 convolution": "12_modern_cnns",
    "bounding box": "13_detection_segmentation", "iou": "13_detection_segmentation",
    "non-maximum suppression": "13_detection_segmentation", "semantic segmentation": "13_detection_segmentation",
    "u-net": "13_detection_segmentation", "vision transformer": "13_detection_segmentation",
    "mean average precision": "13_detection_segmentation", "anchor-free detection": "13_detection_segmentation",
    "tokenization": "14_tokens_embeddings", "byte-pair encoding": "14_tokens_embeddings",
    "word embedding": "14_tokens_embeddings", "skip-gram": "14_tokens_embeddings",
    "negative sampling": "14_tokens_embeddings",
    "encoder–decoder": "15_seq2seq_attention", "teacher forcing": "15_seq2seq_attention",
    "beam search": "15_seq2seq_attention", "bleu": "15_seq2seq_attention",
    "cross-attention": "15_seq2seq_attention", "masked language model": "16_text_classification_pretraining",
    "pretraining": "16_text_classification_pretraining",
    "autoencoder": "17_autoencoders", "latent space": "17_autoencoders",
    "self-supervised learning": "17_autoencoders", "contrastive learning": "17_autoencoders",
    "vae": "18_vae_gan", "elbo": "18_vae_gan", "reparameterization trick": "18_vae_gan", "gan": "18_vae_gan",
    "mode collapse": "18_vae_gan", "diffusion model": "19_diffusion", "classifier-free guidance": "19_diffusion",
    "text-to-image": "19_diffusion",
    "mdp": "20_reinforcement_learning", "return": "20_reinforcement_learning",
    "value function": "20_reinforcement_learning", "bellman equation": "20_reinforcement_learning",
    "q-learning": "20_reinforcement_learning", "policy gradient": "20_reinforcement_learning",
    "reinforce": "20_reinforcement_learning", "baseline": "20_reinforcement_learning",
    "actor-critic": "20_reinforcement_learning",
}
REQUIRED_BIB_KEYS = ["rosenblatt1958perceptron", "rumelhart1986learning", "glorot2010understanding",
                     "he2015delving", "kingma2015adam"]
SOLUTION_MARKERS = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME"]



def glossary_entries() -> dict[str, str]:
    """{term (lower case): definition text} of the {glossary} block of glossary.md."""
    text = (REPO_ROOT / "glossary.md").read_text(encoding="utf-8")
    m = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.S)
    assert m, "glossary.md has no ```{glossary} block"
    entries, terms, body = {}, [], []

    def flush():
        for t in terms:
            entries[t.lower()] = "\n".join(body)

    for line in m.group(1).splitlines():
        if not line.strip() or line.startswith(":"):
            continue
        if line[0].isspace():
            body.append(line.strip())
        else:
            if body:
                flush()
                terms, body = [], []
            terms.append(line.strip())
    flush()
    return entries


# ----------------------------------------------------------------------------- static checks
def test_config_defines_repository_and_launch_buttons():
    cfg = config()
    assert org_repo().count("/") == 1
    assert cfg["repository"]["branch"]
    assert cfg["launch_buttons"]["colab_url"].startswith("https://colab.research.google.com")
    assert cfg["html"]["use_repository_button"] and cfg["html"]["use_issues_button"]
    assert cfg["only_build_toc_files"] is True
    assert cfg["execute"]["execute_notebooks"] in ("off", "cache")
    for pattern in ("exercises", "tests", "_build", ".venv"):
        assert pattern in cfg["exclude_patterns"], pattern
    assert (REPO_ROOT / cfg["bibtex_bibfiles"][0]).is_file()


def test_toc_lists_exactly_the_existing_chapters():
    for doc in toc_docs():
        assert any((REPO_ROOT / f"{doc}{ext}").is_file() for ext in (".md", ".ipynb")), f"{doc} in _toc.yml is missing"
    listed = {d.split("/", 1)[1] for d in toc_chapters()}
    on_disk = {p.stem for p in chapter_notebooks()}
    assert on_disk - listed == set(), f"chapters not in _toc.yml: {sorted(on_disk - listed)}"
    assert "00_introduction" in listed


def test_every_chapter_starts_with_the_colab_setup_cell():
    url = repo_url()
    for path in chapter_notebooks():
        first = code_cells(read_nb(path))[0].source
        assert 'if "google.colab" in sys.modules' in first, f"{path.name}: first code cell is not the Colab setup"
        assert f'"{url}"' in first, f"{path.name}: setup cell must install from {url} (_config.yml)"
        assert "dlkit @ git+" in first and "pip" in first, path.name
        assert not re.search(r"==|tensorflow[<>=]", first), f"{path.name}: no version pins in the setup cell"
        assert 'list_physical_devices("GPU")' in first, f"{path.name}: setup cell must report the GPU"
        tags = code_cells(read_nb(path))[0].metadata.get("tags", [])
        assert "remove-cell" in tags, f"{path.name}: tag the Colab setup cell remove-cell (web readers don't need it)"


def test_every_chapter_cell_was_executed_in_order():
    for path in chapter_notebooks():
        nb = read_nb(path)
        counts = []
        for i, cell in enumerate(code_cells(nb)):
            tags = cell.metadata.get("tags", [])
            if "skip-execution" in tags:
                assert not cell.outputs, f"{path.name} code cell {i}: skip-execution cells must have no outputs"
                assert "nbval-skip" in tags or "NBVAL_SKIP" in cell.source, f"{path.name} code cell {i}: add nbval-skip"
                continue
            if not cell.source.strip():
                continue
            assert cell.execution_count is not None, f"{path.name} code cell {i} was never executed"
            counts.append(cell.execution_count)
            for out in cell.outputs:
                assert out.output_type != "error", f"{path.name} code cell {i} stored an error"
        assert counts == sorted(counts) and len(set(counts)) == len(counts), f"{path.name}: run it top to bottom"


def test_every_chapter_links_to_its_exercise():
    for path in chapter_notebooks():
        text = "\n".join(c.source for c in read_nb(path).cells if c.cell_type == "markdown")
        name = ASSIGNMENTS.get(path.stem)
        if name is None:
            assert "course" in text, f"{path.name}: link to the course page (how the exercises work)"
            continue
        nb_path = f"exercises/release/{name}/{name}.ipynb"
        assert colab_url(nb_path) in text, f"{path.name}: link to its exercise in Colab: {colab_url(nb_path)}"
        assert f"{repo_url()}/blob/" in text and nb_path in text, f"{path.name}: link to its exercise on GitHub"


def test_repository_urls_all_come_from_the_config():
    files = [REPO_ROOT / n for n in ("README.md", "intro.md", "course.md", "glossary.md")]
    files += chapter_notebooks()
    patterns = [r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)", r"git\+https://github\.com/([\w.-]+/[\w.-]+)",
                r"github\.com/([\w.-]+/[\w.-]+)/(?:blob|tree|actions|issues)", r"([\w-]+)\.github\.io/([\w.-]+)"]
    for f in files:
        text = f.read_text(encoding="utf-8")
        for pat in patterns:
            for m in re.finditer(pat, text):
                found = "/".join(m.groups()).removesuffix(".git").rstrip('"')
                assert found == org_repo(), f"{f.name}: {m.group(0)} does not match repository.url {repo_url()}"


def test_readme_keeps_its_two_commands_and_has_badges_from_the_config():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    assert blocks[:2] == ["pip install -r requirements.txt && jupyter-book build . -W --keep-going\n", "pytest\n"]
    assert f"{repo_url()}/actions/workflows/book.yml/badge.svg" in readme
    assert colab_url("colab/00_introduction.ipynb") in readme  # the Colab edition
    owner, name = org_repo().split("/")
    assert f"https://{owner}.github.io/{name}" in readme


def test_glossary_has_every_required_term_with_a_link_to_where_it_is_taught():
    entries = glossary_entries()
    link = re.compile(r"\{(?:ref|doc)\}`[^`]+`|\]\([^)]+\)")
    in_toc = {d.split("/", 1)[1] for d in toc_chapters()}
    for term, home in GLOSSARY_HOME.items():
        assert term in entries, f"glossary.md misses the term {term!r}"
        body = entries[term]
        assert link.search(body), f"glossary term {term!r} has no link to where it is taught"
        if home in in_toc:
            nb_text = (REPO_ROOT / "chapters" / f"{home}.ipynb").read_text(encoding="utf-8")
            labels = set(re.findall(r"\((ch\d\d-[\w-]+)\)=", nb_text))
            refs = set(re.findall(r"\{ref\}`(?:[^`<]*<)?(ch\d\d-[\w-]+)>?`", body))
            assert f"chapters/{home}" in body or refs & labels, (
                f"glossary term {term!r}: chapter {home} exists now; link to it (a label defined in it)")


def test_glossary_chapter_labels_exist():
    """{ref} to chNN-... labels of chapters that exist on disk must be defined there (chapters not yet
    in the TOC are redirected to the road map by _ext/dlbook_html.py, which would hide a typo)."""
    text = (REPO_ROOT / "glossary.md").read_text(encoding="utf-8")
    for label in set(re.findall(r"\{ref\}`(?:[^`<]*<)?(ch\d\d-[\w-]+)>?`", text)):
        notebooks = list((REPO_ROOT / "chapters").glob(f"{label[2:4]}_*.ipynb"))
        if notebooks:
            assert f"({label})=" in notebooks[0].read_text(encoding="utf-8"), f"glossary.md: no label {label} in {notebooks[0].name}"


def test_bibliography_has_the_cited_papers():
    bib = (REPO_ROOT / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    assert set(REQUIRED_BIB_KEYS) <= keys
    sources = [REPO_ROOT / n for n in ("intro.md", "course.md", "glossary.md")] + chapter_notebooks()
    for src in sources:
        for group in re.findall(r"\{cite(?::[pt])?\}`([^`]+)`", src.read_text(encoding="utf-8")):
            for key in group.split(","):
                assert key.strip() in keys, f"{src.name} cites unknown key {key.strip()!r}"


# ----------------------------------------------------------------------------- the built HTML
def test_build_contains_every_toc_page(built_book):
    for doc in toc_docs():
        assert (built_book / f"{doc}.html").is_file(), f"{doc}.html not built"
    assert (built_book / "index.html").is_file() and (built_book / "search.html").is_file()
    assert not (built_book / "exercises").exists(), "exercises/ must not be part of the book"


def test_build_contains_no_solutions_or_hidden_tests(built_book):
    for path in built_book.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".ipynb", ".txt", ".md", ".js", ".py"):
            text = path.read_text(encoding="utf-8", errors="replace")
            for marker in SOLUTION_MARKERS:
                assert marker not in text, f"{path.relative_to(built_book)} contains {marker!r}"


GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`:]+)(?::[^`]*)?`")


def glued_names(nb) -> set[str]:
    """Names glued by the notebook's stored outputs (myst-nb's scrapbook metadata)."""
    names = set()
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                names.add(name)
    return names


def test_every_glued_number_in_the_prose_is_computed_in_the_chapter():
    for path in chapter_notebooks():
        nb = read_nb(path)
        used = {m.group(1) for c in nb.cells if c.cell_type == "markdown" for m in GLUE_ROLE.finditer(c.source)}
        missing = used - glued_names(nb)
        assert not missing, f"{path.name}: the prose uses glue keys no cell glued (re-execute?): {sorted(missing)}"

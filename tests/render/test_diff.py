from desktop_blog.render.diff import side_by_side


def test_identical_texts_have_no_changes():
    left, right, changed = side_by_side("a\nb", "a\nb")
    assert changed == 0
    assert left == right
    assert "del" not in left.split("</style>")[1]


def test_changed_words_are_marked_and_lines_stay_aligned():
    left, right, changed = side_by_side("one\nthe cat sat\nthree", "one\nthe dog sat\nthree\nfour")
    assert changed == 2
    assert "<b>cat</b>" in left and "<b>dog</b>" in right
    assert left.count('class="l') == right.count('class="l') == 4
    assert 'class="l ins">four' in right


def test_markup_is_escaped():
    left, right, _ = side_by_side("<script>x</script>", "<b>y</b>")
    assert "<script" not in left and "&lt;" in left

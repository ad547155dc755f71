from roles.textsim import features, normalise, similarity


def test_full_width_punctuation_and_letters_are_folded():
    assert normalise("收集用户反馈，分析用户需求（ＡＢＣ）") == "收集用户反馈,分析用户需求(abc)"
    assert features("收集用户反馈，分析用户需求") == features("收集用户反馈,分析用户需求。")


def test_chinese_text_gives_character_bigrams_split_at_punctuation():
    assert features("用户反馈,分析") == frozenset({"用户", "户反", "反馈", "分析"})
    assert features("我") == frozenset({"我"})


def test_english_words_are_stemmed_and_stop_words_dropped():
    assert features("Analyses the competitors") == features("analyse competitor")
    assert "the" not in features("Analyses the market")


def test_similarity_bounds_and_symmetry():
    a, b = "进行市场调研,分析竞争对手,调整市场策略", "进行市场分析,了解竞争对手动态,调整市场策略"
    assert similarity(a, a) == 1.0
    assert similarity(a, b) == similarity(b, a)
    assert 0.6 < similarity(a, b) < 1
    assert similarity(a, "") == 0.0
    assert similarity("Plans and runs promotions", "解决平台运行中的技术问题") == 0.0


def test_mixed_language_text_uses_both_kinds_of_features():
    assert {"api", "接口", "文档"} <= features("编写 API 接口文档")

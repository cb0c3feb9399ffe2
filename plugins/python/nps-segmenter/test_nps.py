"""Unit tests of the plugin's logic (`nps.py`): plain `python3 -m unittest`, no WebAssembly, no extra packages."""

import unittest

import nps


class ReadAnswer(unittest.TestCase):
    def test_whole_numbers_from_0_to_10_are_answers(self):
        for answer in range(11):
            self.assertEqual(nps.read_answer(answer), answer)
            self.assertEqual(nps.read_answer(float(answer)), answer)
            self.assertEqual(nps.read_answer(str(answer)), answer)

    def test_text_may_have_surrounding_blanks(self):
        self.assertEqual(nps.read_answer(" 10 "), 10)
        self.assertEqual(nps.read_answer("07"), 7)

    def test_anything_else_is_no_answer(self):
        for value in [None, True, False, -1, 11, 100, 8.5, -0.5, float("nan"), float("inf"), float("-inf"),
                      "", "  ", "nine", "9.0", "-1", "11", "007", "+9", "٩", "1e1"]:
            with self.subTest(value=value):
                self.assertIsNone(nps.read_answer(value))


class Classify(unittest.TestCase):
    def test_groups_follow_the_nps_bands(self):
        groups = {answer: nps.classify(answer).segment for answer in range(11)}
        self.assertEqual([a for a, g in groups.items() if g == nps.DETRACTOR], list(range(7)))
        self.assertEqual([a for a, g in groups.items() if g == nps.PASSIVE], [7, 8])
        self.assertEqual([a for a, g in groups.items() if g == nps.PROMOTER], [9, 10])

    def test_scores_grow_with_how_clearly_the_answer_is_in_its_group(self):
        self.assertEqual(nps.classify(10).score, 1.0)
        self.assertEqual(nps.classify(9).score, 0.5)
        self.assertEqual(nps.classify(8).score, 1.0)
        self.assertEqual(nps.classify(7).score, 1.0)
        self.assertAlmostEqual(nps.classify(6).score, 1 / 7)
        self.assertEqual(nps.classify(0).score, 1.0)
        detractors = [nps.classify(answer).score for answer in range(7)]
        self.assertEqual(detractors, sorted(detractors, reverse=True))
        for answer in range(11):
            self.assertTrue(0 < nps.classify(answer).score <= 1, answer)

    def test_reasons_quote_the_answer_and_the_band(self):
        reasons = nps.classify(6).reasons
        self.assertEqual(len(reasons), 2)
        self.assertIn("answered 6 out of 10", reasons[0])
        self.assertEqual(reasons[1], "detractors answer 0 to 6")
        self.assertEqual(nps.classify(9).reasons[1], "promoters answer 9 or 10")
        self.assertEqual(nps.classify(8).reasons[1], "passives answer 7 or 8")

    def test_an_answer_outside_0_to_10_is_refused(self):
        for answer in (-1, 11):
            with self.assertRaises(ValueError):
                nps.classify(answer)


class Assign(unittest.TestCase):
    def test_a_missing_or_invalid_value_assigns_nothing(self):
        self.assertIsNone(nps.assign(None))
        self.assertIsNone(nps.assign("n/a"))
        self.assertIsNone(nps.assign(True))

    def test_a_valid_value_assigns_its_group(self):
        self.assertEqual(nps.assign("10"), nps.classify(10))
        self.assertEqual(nps.assign(6.0).segment, nps.DETRACTOR)

    def test_every_segment_is_declared(self):
        declared = {segment for segment, _ in nps.SEGMENTS}
        self.assertEqual(declared, {nps.PROMOTER, nps.PASSIVE, nps.DETRACTOR})
        self.assertEqual({nps.classify(answer).segment for answer in range(11)}, declared)


class Config(unittest.TestCase):
    def test_only_the_empty_object_is_accepted(self):
        self.assertIsNone(nps.config_problem("{}"))
        self.assertIsNone(nps.config_problem(" { } "))
        self.assertIn("takes no settings", nps.config_problem('{"threshold": 9}'))
        self.assertIn("takes no settings", nps.config_problem("[]"))
        self.assertIn("not JSON", nps.config_problem("{"))


if __name__ == "__main__":
    unittest.main()

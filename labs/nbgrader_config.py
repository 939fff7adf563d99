"""nbgrader configuration for the tfgan labs (see labs/README.md).

nbgrader reads this file when run from this folder (`cd labs && nbgrader ...`), which is what
`make labs` and `make grade` do. The course layout is nbgrader's standard one, rooted here:

    source/<lab>/<lab>.ipynb                  instructor versions (solutions, hidden tests) - committed
    release/<lab>/<lab>.ipynb                 student versions, made by `make labs`
    submitted/<student>/<lab>/<lab>.ipynb     collected submissions (by hand, zip_collect or collect)
    autograded/, feedback/, gradebook.db      made by `make grade`; grades.csv is the export
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "tfgan"

# What a student sees where a solution was.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A lab never trains while it is graded (its training cells check tfgan.checks.grading()), so a
# notebook that runs longer than this is stuck, not slow.
c.Execute.timeout = 300
# New students in submitted/ are added to the gradebook instead of being rejected.
c.Autograde.create_student = True
# One CSV row per student and lab.
c.ExportApp.plugin_class = "nbgrader.plugins.export.CsvExportPlugin"

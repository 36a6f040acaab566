"""dlkit.exercises: what the graded exercises of the book use at grading time.

- :mod:`dlkit.exercises.checks`: assertions whose messages teach (expected vs got in the first 80
  characters, the largest difference and the tolerance, a hint that does not give the answer);
- :mod:`dlkit.exercises.isolation`: one bug costs one task. A task's tests run with the reference
  versions of the functions of earlier tasks (``using``), and say so when the student's differ;
- :mod:`dlkit.exercises.policy`: a task that asks you to write a function dlkit already has is graded
  with dlkit's version made unavailable (``no_delegation``);
- :mod:`dlkit.exercises.selfcheck`: ``check("ch07_cnn", globals())``, the self-check for students without
  nbgrader (randomized comparisons with dlkit's references, one pass/FAIL line per task).

Never imports TensorFlow.
"""
from .checks import *  # noqa: F401,F403
from .isolation import *  # noqa: F401,F403
from .policy import *  # noqa: F401,F403
from .selfcheck import check  # noqa: F401,E402  (the students' self-check outside a class)

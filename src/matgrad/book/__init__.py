"""The book's teaching layer: what the chapters show, built on the :mod:`matgrad` core.

One module per topic; each says which chapters use it. None of this is needed to compute
or check a gradient, and the core never imports it (tests/test_layering.py):

==================  =========================================================  ==============
module              what                                                       needs
==================  =========================================================  ==============
``examples``        the seeded example networks and data the chapters share    numpy
``shapes``          the shapes in Algorithm 6.4's weight line; which answers    numpy
                    fit
``walkthrough``     Algorithm 6.4 one executed line at a time                  numpy
``settings_check``  a gradient check from a reader's settings, or why none     numpy
``step_size``       the error of a finite difference against its step          numpy
``adjoint``         dJ measured along dW beside G : dW for a candidate G       numpy
``cost``            the work of a gradient, counted                            numpy
``shared_weights``  a weight used at every step of a recurrent network         numpy
``im2col``          a convolution as one product ``Y_col = W_col X_col``: its  numpy
                    shapes, one output pixel's column and gradient's route
``criteria``        other tools' pass rules (CS231n, MML, DLS, torch, jax)     numpy
``bridges``         other courses' backprop beside Algorithm 6.4's numbers     numpy
``text``            the chapters' plain-text tables and verdicts               numpy
``grader``          a typed gradient graded against the cost, its mistake      numpy
                    named (``grade``, ``QUESTIONS``, ``MISTAKES_CATALOGUE``)
``problems``        the grader's questions and their seeded problems           numpy
``answers``         a typed answer checked against a whitelist and evaluated,  numpy
                    every size bounded
``notation``        the book's notation in a typed answer, read as numpy       numpy
``figures``         every figure, static or redrawn by a widget; its alt text   matplotlib
                    (a package: one module per topic)
``widgets``         the interactive widgets, thin views over the above         ipywidgets
==================  =========================================================  ==============

Import the module a chapter needs (``from matgrad.book import text``); importing this
package imports none of them, so that a page without figures never loads matplotlib.
"""

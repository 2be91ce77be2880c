"""The NG001 analysis over a LibCST module (imports LibCST: load it lazily).

- :mod:`.catalog` - what the analysis knows about PyTorch, as data
- :mod:`.imports` - the module's import table (local names to qualified names)
- :mod:`.grad_scopes` - where grad-disabling scopes (``with``, decorators, setters) are recognised
- :mod:`.eval_mode` - where models are put into (or out of) eval mode
- :mod:`.state` - the state that flows: grad mode, eval-mode models
- :mod:`.flow` - the pass over statements in execution order
- :mod:`.positions` - positions of reported nodes only
"""

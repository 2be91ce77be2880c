"""The analysis over a LibCST module (imports LibCST: load it lazily), and the readings of the
stdlib ``ast`` tree it shares with the screen.

- :mod:`.catalog` - what the linter knows about PyTorch, as data, each fact once, and the
  readings of a call's arguments every layer shares (imports neither LibCST nor ``ast``)
- :mod:`.arguments` - a LibCST call's arguments as the catalog reads them
- :mod:`.imports` - the module's import table (local names to qualified names)
- :mod:`.grad_scopes` - where grad-disabling scopes (``with``, decorators, setters) are recognised
- :mod:`.eval_mode` - where models are put into (or out of) eval mode
- :mod:`.functions` - the module's functions and classes, their call sites and parameters
- :mod:`.entry_grad` - the grad mode a function runs in when its call sites decide it (shared
  by the flow and NG001's screen; imports no LibCST)
- :mod:`.intent` - gradient code that shows a forward's graph is wanted
- :mod:`.forward_helpers` - the private methods only a module's ``forward`` runs (read as
  ``forward`` is: without class-wide eval state)
- :mod:`.values` - where a forward call's output goes: consumed by gradient code, lost to the
  analysis, or dropped (on the stdlib ``ast``, shared by the screen and the analysis); the
  module's own facts
- :mod:`.function_values` - one function's bindings, stores and calls, and where a value in it
  may go (:mod:`.values` makes one per function)
- :mod:`.value_readings` - readings of one ``ast`` node for :mod:`.values` and
  :mod:`.function_values`: values that never carry a graph, calls that make a tensor that
  requires grad, accumulating statements
- :mod:`.distribution_draws` - draws from ``torch.distributions`` objects
  (``dist.sample()``), which carry no graph
- :mod:`.fates` - the answer :mod:`.values` gives: what becomes of a forward call's output, and
  the graphs NG002 finds kept across iterations
- :mod:`.retained_graphs` - NG003: ``retain_graph=True`` that no later gradient call needs
  (on the stdlib ``ast``, with :mod:`.function_values`' bindings), reading:
  - :mod:`.gradient_calls` - what a gradient call differentiates; which functions make one
  - :mod:`.graph_sources` - where the differentiated graph comes from
  - :mod:`.model_calls` - which calls may run a model and record a graph
  - :mod:`.detached_results` - helpers that hand back values without a graph
  - :mod:`.object_graphs` - what an object's attributes hold between calls
  - :mod:`.hook_stores` - where forward hooks may keep a forward's output for another
    function's gradient call
  - :mod:`.memoized_results` - functions that hand back what an earlier call made
    (``@lru_cache``, a module-level cache)
  - :mod:`.value_keepers` - whether a call handed the graph may keep or differentiate it
  - :mod:`.finished_closures` - nested functions done with the graph before the call
  - :mod:`.caller_graphs` - a caller's graph handed in as a parameter, needed again
- :mod:`.call_sites` - the calls of a module's private function, and what each gives its
  parameters (NG003 reads a helper's callers)
- :mod:`.mode_summaries` - what a call of one of the module's functions does to the mode of
  the models it reaches (NG004; on the stdlib ``ast``, shared by the screen and the flow)
  - :mod:`.receiver_names` - a callee's names for models mapped onto its caller's
  - :mod:`.model_aliases` - other names a function gives one model (``DDP(model)``)
  - :mod:`.class_hierarchy` - the module's functions and classes by name, and the bases its
    classes derive from (``self.validate()`` of a base class)
  - :mod:`.imported_helpers` - the functions it imports from a module beside it, summarised
    on first need
  - :mod:`.early_returns` - a ``return`` that leaves a validation helper before the
    ``train()`` it ends with
  - :mod:`.phase_arguments` - the branches a call's literal arguments decide
    (``run_epoch(model, loader, train=False)``)
  - :mod:`.loop_targets` - the models a loop's target takes in turn (``for net in [gen,
    disc]: net.train()``), shared with :mod:`.flow`
- :mod:`.attribute_twins` - attributes of a class that name one model (``self.net =
  self.model``, a ``@property`` returning it), for :mod:`.mode_summaries`' ``train()``
- :mod:`.sibling_modules` - the functions a module imports from a module beside it, read off
  that module's file (never run) for :mod:`.mode_summaries`; whether a module beside it names
  a private helper, for :mod:`.call_sites`
- :mod:`.last_iteration` - an ``if`` that only the last iteration of a counting loop takes
  (NG004: an evaluation after the last training step)
- :mod:`.twins` - the stdlib ``ast`` twin of a LibCST call, to ask :mod:`.values` about it
- :mod:`.state` - the state that flows: grad mode, eval-mode models
- :mod:`.flow` - the pass over statements in execution order
- :mod:`.origins` - where a reported model was put in eval mode (related locations)
- :mod:`.nodes` - small LibCST helpers shared by the pass (dotted names, children in order)
- :mod:`.positions`, :mod:`.ast_positions` - positions of reported nodes only, read off
  LibCST or, faster, off the stdlib ``ast`` tree
"""

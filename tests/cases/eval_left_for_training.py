# NG004: a validation phase leaves the model in eval mode for the next training step.
import contextlib
import copy

import lightning as L
import torch


def evaluate(model, loader):
    model.eval()
    with torch.no_grad():
        return [model(x) for x, _ in loader]


def evaluate_and_restore(model, loader):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        outputs = [model(x) for x, _ in loader]
    model.train(was_training)
    return outputs


def check_accuracy(loader, model):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct


def train_one_epoch(model, loader, optimizer, criterion):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()


def train_one_epoch_in_train_mode(model, loader, optimizer, criterion):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()


def eval_call_in_the_epoch_loop(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
        model.eval()  # expect: NG004:9
        with torch.no_grad():
            for x, _ in val_loader:
                model(x)


def train_false_in_the_epoch_loop(model, loader, optimizer, criterion):
    for epoch in range(10):
        for x, y in loader:
            criterion(model(x), y).backward()
            optimizer.step()
        model.train(False)  # expect: NG004:9


def validation_helper_in_the_epoch_loop(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        evaluate(model, val_loader)  # expect: NG004:9


def both_phases_are_helpers(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        accuracy = check_accuracy(val_loader, model)  # expect: NG004:20
        print(epoch, accuracy)


def validation_every_few_steps(model, loader, val_loader, optimizer, criterion):
    for step, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        if step % 100 == 0:
            evaluate(model, val_loader)  # expect: NG004:13


def train_mode_each_epoch_validation_every_few_steps(
    model, loader, val_loader, optimizer, criterion
):
    for epoch in range(10):
        model.train()  # the epoch's first steps train in train mode, the later ones do not
        for step, (x, y) in enumerate(loader):
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
            if step % 100 == 0:
                model.eval()  # expect: NG004:17
                with torch.no_grad():
                    for vx, _ in val_loader:
                        model(vx)


def early_stopping_that_may_not_stop(model, loader, val_loader, optimizer, criterion, target):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        if len(evaluate(model, val_loader)) > target:  # expect: NG004:16
            break


class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def train_epoch(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            self.model(x).sum().backward()
            self.optimizer.step()

    def validate(self, loader):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in loader]

    def fit(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.train_epoch(loader)
            self.validate(val_loader)  # expect: NG004:13

    def fit_in_train_mode(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.model.train()
            self.train_epoch(loader)
            self.validate(val_loader)

    def validate_through_a_local_name(self, loader):
        model = self.model  # the same module: its mode is ``self.model``'s
        model.eval()
        with torch.no_grad():
            return [model(x) for x, _ in loader]

    def fit_with_a_local_name_in_validation(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.train_epoch(loader)
            self.validate_through_a_local_name(val_loader)  # expect: NG004:13

    def validate_a_copy(self, loader):
        model = self.model
        model = copy.deepcopy(model)  # another module from here on
        model.eval()
        with torch.no_grad():
            return [model(x) for x, _ in loader]

    def fit_validating_a_copy(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.train_epoch(loader)
            self.validate_a_copy(val_loader)

    def freeze_the_first_layer(self):
        self.model.layers[0].eval()  # a submodule: a deliberate freeze


def a_trainer_object_driven_from_outside(model, optimizer, loader, val_loader):
    trainer = Trainer(model, optimizer)
    for epoch in range(10):
        trainer.train_epoch(loader)
        trainer.validate(val_loader)  # expect: NG004:9


def a_trainer_object_validating_first(make_model, loader, val_loader):
    trainer = Trainer(make_model(), None)  # its model has no other name here
    for epoch in range(10):
        trainer.validate(val_loader)  # expect: NG004:9
        trainer.train_epoch(loader)


def a_trainer_object_freezing_a_submodule(model, optimizer, loader):
    trainer = Trainer(model, optimizer)
    for epoch in range(10):
        trainer.freeze_the_first_layer()
        trainer.train_epoch(loader)


def validation_in_the_last_epoch_or_every_fifth(
    model, loader, val_loader, optimizer, criterion, epochs
):
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer, criterion)
        if epoch == epochs - 1 or epoch % 5 == 0:
            evaluate(model, val_loader)  # expect: NG004:13


def validation_when_the_stop_moves(model, loader, val_loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer, criterion)
        if epoch == epochs - 1:
            evaluate(model, val_loader)  # expect: NG004:13
            epochs += 5  # the test no longer means the last iteration


def validation_when_the_config_changes(model, loader, val_loader, optimizer, criterion, cfg):
    for epoch in range(cfg.epochs):
        train_one_epoch(model, loader, optimizer, criterion)
        if epoch == cfg.epochs - 1:
            evaluate(model, val_loader)  # expect: NG004:13
        cfg.update(epochs=cfg.epochs + 1)  # the test may hold before the last iteration


def warm_up_validated_at_its_end(model, loader, val_loader, optimizer, criterion, warm_up):
    for epoch in range(warm_up):
        train_one_epoch(model, loader, optimizer, criterion)
        if epoch == warm_up - 1:
            evaluate(model, val_loader)  # missed: eval mode set before the next loop
    for epoch in range(10):  # trains in eval mode from its first step
        train_one_epoch(model, loader, optimizer, criterion)


class TrainerThatExtendsItsRun:
    def __init__(self, model, epochs):
        self.model = model
        self.epochs = epochs

    def train_epoch(self, loader, optimizer, criterion):
        for x, y in loader:
            criterion(self.model(x), y).backward()
            optimizer.step()
        self.epochs += 1  # the last-epoch test below may hold before the last epoch

    def fit(self, loader, val_loader, optimizer, criterion):
        for epoch in range(self.epochs):
            self.train_epoch(loader, optimizer, criterion)
            if epoch == self.epochs - 1:
                evaluate(self.model, val_loader)  # expect: NG004:17


def validation_in_the_last_batch_of_each_epoch(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        for step in range(len(loader)):
            train_one_epoch(model, loader, optimizer, criterion)
            if step == len(loader) - 1:  # a call may give another value: not read
                evaluate(model, val_loader)  # expect: NG004:17


def validation_at_the_top_of_each_epoch(model, loader, val_loader, optimizer, criterion):
    # The first epoch already trains in eval mode: the step follows in the same iteration.
    for epoch in range(10):
        evaluate(model, val_loader)  # expect: NG004:9
        train_one_epoch(model, loader, optimizer, criterion)


def validation_first_in_some_epochs(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        if epoch % 5 == 0:
            evaluate(model, val_loader)  # expect: NG004:13
        for x, y in loader:
            criterion(model(x), y).backward()
            optimizer.step()


def _score(model, loader):
    with torch.no_grad():
        return sum(model(x).sum().item() for x, _ in loader)


def validate_through_a_scoring_function(model, loader):
    model.eval()
    return _score(model, loader)  # the model runs in eval mode, in the callee


def validation_that_delegates_its_forward_at_the_top(
    model, loader, val_loader, optimizer, criterion
):
    for epoch in range(10):
        validate_through_a_scoring_function(model, val_loader)  # expect: NG004:9
        train_one_epoch(model, loader, optimizer, criterion)


# -- silent ------------------------------------------------------------------------------


def train_mode_after_validation_at_the_top(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        evaluate(model, val_loader)
        model.train()
        train_one_epoch(model, loader, optimizer, criterion)


def switch_mode(net, training):
    if training:
        net.train()
    else:
        net.eval()


def a_mode_toggle_at_the_top_and_end_of_each_epoch(model, loader, optimizer, criterion):
    # Read in order, the toggle's branches end in eval(): it may also switch to train mode,
    # so it is no validation helper, and the next epoch's call puts the model back.
    for epoch in range(10):
        switch_mode(model, True)
        train_one_epoch(model, loader, optimizer, criterion)
        switch_mode(model, False)


def freeze_for_fine_tuning(net):
    net.eval()  # no validation: a mode chosen for what follows
    net.requires_grad_(False)


def a_freezing_helper_at_the_top_of_each_epoch(backbone, head, loader, optimizer, criterion):
    for epoch in range(10):
        freeze_for_fine_tuning(backbone)
        for x, y in loader:
            criterion(head(backbone(x)), y).backward()
            optimizer.step()


def eval_call_at_the_top_of_each_epoch(model, loader, optimizer, criterion):
    # A bare eval() before the step may choose eval mode for the whole loop (frozen
    # batch-norm statistics); only a helper's validation phase is reported there.
    for epoch in range(10):
        model.eval()
        train_one_epoch(model, loader, optimizer, criterion)


def validation_before_the_loop_then_train_mode(model, loader, val_loader, optimizer, criterion):
    evaluate(model, val_loader)
    for epoch in range(10):
        train_one_epoch_in_train_mode(model, loader, optimizer, criterion)


def validation_in_a_loop_of_its_own(model, loaders, loader, optimizer, criterion):
    for val_loader in loaders:
        evaluate(model, val_loader)
    model.train()
    train_one_epoch(model, loader, optimizer, criterion)


def train_mode_at_each_epoch(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        model.train()
        for x, y in loader:
            criterion(model(x), y).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for x, _ in val_loader:
                model(x)


def train_mode_inside_the_training_function(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch_in_train_mode(model, loader, optimizer, criterion)
        evaluate(model, val_loader)


def validation_restores_the_mode(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_and_restore(model, val_loader)


def eval_once_before_training(model, loader, optimizer, criterion):
    model.eval()  # fine-tuning with frozen batch-norm statistics, on purpose
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)


def submodule_frozen_inside_training(model, loader, optimizer, criterion):
    for epoch in range(10):
        model.train()
        model.backbone.eval()
        for x, y in loader:
            criterion(model(x), y).backward()
            optimizer.step()


def final_test_after_the_loop(model, loader, test_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch_in_train_mode(model, loader, optimizer, criterion)
    evaluate(model, test_loader)


def last_epoch_breaks_after_validation(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        if epoch == 9:
            evaluate(model, val_loader)
            break


def validation_in_the_last_epoch_only(model, loader, val_loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer, criterion)
        if epoch == epochs - 1:
            evaluate(model, val_loader)


def final_validation_when_asked(model, loader, val_loader, optimizer, criterion, args):
    for epoch in range(args.start_epoch, args.epochs):
        train_one_epoch(model, loader, optimizer, criterion)
        if args.validate and (epoch + 1) == args.epochs:
            model.eval()
            with torch.no_grad():
                for x, _ in val_loader:
                    model(x)


def validation_in_the_last_of_ten_epochs(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        if epoch >= 9:
            evaluate(model, val_loader)


def validation_in_the_last_epoch_counted_from_one(
    model, loader, val_loader, optimizer, criterion, epochs
):
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer, criterion)
        if 1 + epoch == epochs:
            evaluate(model, val_loader)
        if epoch + 1 >= epochs:
            evaluate(model, val_loader)


class TrainerValidatingAtTheEnd:
    def __init__(self, model, epochs):
        self.model = model
        self.epochs = epochs

    def train_epoch(self, loader, optimizer, criterion):
        for x, y in loader:
            criterion(self.model(x), y).backward()
            optimizer.step()

    def fit(self, loader, val_loader, optimizer, criterion):
        for epoch in range(self.epochs):
            self.train_epoch(loader, optimizer, criterion)
            if epoch == self.epochs - 1:
                evaluate(self.model, val_loader)


def evaluation_only(model, loaders):
    for loader in loaders:
        evaluate(model, loader)


def another_model_is_trained(model, teacher, loader, optimizer, criterion):
    for epoch in range(10):
        teacher.eval()
        train_one_epoch(model, loader, optimizer, criterion)


def restoring_context_manager(model, loader, val_loader, optimizer, criterion):
    @contextlib.contextmanager
    def eval_mode(module):
        was_training = module.training
        module.eval()
        yield
        module.train(was_training)

    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        with eval_mode(model), torch.no_grad():
            [model(x) for x, _ in val_loader]


class Classifier(L.LightningModule):
    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.cross_entropy(self(x), y)

    def validation_step(self, batch, batch_idx):
        self.eval()
        x, y = batch
        self(x)


# Helpers that hand the model back (``model, loss = test(model, ...)``): the name the
# caller binds to what they return is the same model, in the mode they left it in.
def train_and_return(model, loader, optimizer, criterion):
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    return model, optimizer, loss.item()


def test_and_return(model, loader):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, _ in loader:
            total += model(x).sum().item()
    return model, total


def evaluate_and_return(model, loader):
    model.eval()
    with torch.no_grad():
        for x, _ in loader:
            model(x)
    return model


def evaluate_a_copy_or_the_model(model, loader, keep):
    model.eval()
    if keep:
        return model
    return copy.deepcopy(model)


def helpers_hand_the_model_back(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        model, optimizer, loss = train_and_return(model, loader, optimizer, criterion)
        model, total = test_and_return(model, val_loader)  # expect: NG004:24


def a_helper_hands_the_whole_model_back(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        model = evaluate_and_return(model, val_loader)  # expect: NG004:17


def described(model):
    print(model)
    return model


def the_returned_model_runs_with_autograd(net, x):
    net.eval()
    same = described(net)
    print(same(x).argmax(1))  # expect: NG001:11


def a_helper_that_may_return_a_copy(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        model = evaluate_a_copy_or_the_model(model, val_loader, epoch % 2)


class Runner:
    """``model = self.model``, wrapped again in ``DataParallel`` on both sides of the call:
    the same module, so ``evaluate`` leaves the caller's ``model`` in eval mode."""

    def train(self, loader, optimizer):
        model = self.model
        if self.n_gpu > 1:
            model = torch.nn.DataParallel(model)
        for epoch in range(3):
            model.train()
            for step, batch in enumerate(loader):
                model(**batch)[0].backward()
                optimizer.step()
                if step % 100 == 0:
                    self.evaluate(loader)  # expect: NG004:21

    def train_a_copy(self, loader, optimizer):
        model = copy.deepcopy(self.model)
        for epoch in range(3):
            model.train()
            for step, batch in enumerate(loader):
                model(**batch)[0].backward()
                optimizer.step()
                if step % 100 == 0:
                    self.evaluate(loader)  # the copy stays in train mode

    def evaluate(self, loader):
        model = self.model
        if self.n_gpu > 1:
            model = torch.nn.DataParallel(model)
        model.eval()
        with torch.no_grad():
            for batch in loader:
                model(**batch)


def a_returned_name_is_trained(model, loader, val_loader, optimizer, criterion):
    net = model
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(net(x), y).backward()
            optimizer.step()
        net, total = test_and_return(model, val_loader)  # expect: NG004:22


def to_train(model):
    model.train()
    return model


def a_helper_that_restores_and_hands_back(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        model = to_train(model)
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, val_loader)


def an_alias_of_a_rebound_parameter(model, loader, val_loader, optimizer, criterion):
    student = model
    model = copy.deepcopy(model)
    for epoch in range(10):
        train_one_epoch(student, loader, optimizer, criterion)
        evaluate(model, val_loader)  # the copy, not the student


class TrainsTheAttributeValidatesThroughIt:
    def validate(self):
        self.model.eval()

    def fit(self, loader):
        model = self.model
        for epoch in range(10):
            self.model.train()  # the same object as ``model``: back in train mode
            for x, y in loader:
                self.criterion(model(x), y).backward()
                self.optimizer.step()
            self.validate()


def validation_that_skips_the_restore(model, loader, val_loader, optimizer, criterion, quick):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        model.eval()  # expect: NG004:9
        if quick:
            continue  # the next epoch trains in eval mode
        model.train()


def checkpoint_in_eval_mode_then_back(model, loader, optimizer, criterion, path):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        model.eval().cpu()
        torch.save(model.state_dict(), path)
        model.to("cuda").train()


def a_finally_restores_the_mode(model, loader, val_loader, optimizer, criterion, quick):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        try:
            model.eval()
            if quick:
                continue
            evaluate(model, val_loader)
        finally:
            model.train()


def an_inner_loop_breaks_in_eval_mode(model, loader, optimizer, criterion, check):
    for epoch in range(10):
        for x, y in loader:
            criterion(model(x), y).backward()
            optimizer.step()
            if check(x):
                model.eval()  # expect: NG004:17
                break
            model.train()


def ddp_validation_evaluates_the_wrapped_module(model, loader, val_loader, optimizer, criterion):
    model = torch.nn.parallel.DistributedDataParallel(model)
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        evaluate(model.module, val_loader)  # expect: NG004:9


def ddp_train_mode_set_through_the_wrapped_module(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        model.module.train()
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, val_loader)


def train_mode_restored_when_not_training(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        if not model.training:
            model.train()
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, val_loader)


def a_target_network_only_runs_detached(policy, target, optimizer, memory):
    # ``optimizer`` is handed in: its parameters are unknown, but only ``policy``'s output
    # reaches the backward, so only ``policy``'s parameters get gradients to step.
    policy.train()
    for step in range(100000):
        s, a, r, s2 = memory.sample(32)
        q = policy(s).gather(1, a).squeeze(1)
        next_q = target(s2).max(1)[0].detach()
        loss = torch.nn.functional.smooth_l1_loss(q, r + 0.99 * next_q)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            target.load_state_dict(policy.state_dict())
            target.eval()


class TrainerWithItsOwnTrainMethod:
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer

    def train(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            torch.nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()

    def evaluate(self, loader):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in loader]

    def fit(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.train(loader)  # the class's own training loop, not ``nn.Module.train``
            self.evaluate(val_loader)  # expect: NG004:13


class ModelOverridingTrainWithTheSetterSignature(torch.nn.Module):
    def train(self, mode=True):
        super().train(mode)
        return self

    def fit(self, loader, val_loader, optimizer, epochs):
        for epoch in range(epochs):
            self.train(True)
            for x, y in loader:
                optimizer.zero_grad()
                self(x).sum().backward()
                optimizer.step()
            self.eval()


class KeepsItsOwnModuleInEvalMode(torch.nn.Module):
    # ``self.module`` is an attribute of this class, not a DDP wrapper's module: its eval
    # mode is not the object's own, which trains as the caller decides.
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        self.module.eval()
        return self.module(x)  # expect: NG001:16

    def fit(self, loader, optimizer):
        for epoch in range(3):
            for x, y in loader:
                optimizer.zero_grad()
                self(x).sum().backward()
                optimizer.step()


def compute_loss(model, x, y):
    return torch.nn.functional.cross_entropy(model(x), y)


def the_forward_is_in_a_loss_helper(model, loader, val_loader, optimizer):
    for epoch in range(10):
        for x, y in loader:
            loss = compute_loss(model, x, y)  # the model's forward, handed back
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        evaluate(model, val_loader)  # expect: NG004:9


def a_loss_helper_only_for_validation_numbers(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch_in_train_mode(model, loader, optimizer, criterion)
        evaluate(model, val_loader)
        print(compute_loss(model, *next(iter(val_loader))).item())


def set_mode(net):
    net.train()


def prepare(net):
    set_mode(net)


def setup_epoch(net):
    prepare(net)


def on_epoch_start(net):
    setup_epoch(net)


def train_with_epoch_hooks(net, loader, optimizer, criterion):
    on_epoch_start(net)  # ``train()`` four calls down: too deep to read, maybe restored
    train_one_epoch(net, loader, optimizer, criterion)


def a_restore_too_deep_to_read(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_with_epoch_hooks(model, loader, optimizer, criterion)
        evaluate(model, val_loader)


def an_encoder_trained_or_frozen_by_an_option(encoder, loader, optimizer, train_encoder):
    for epoch in range(10):
        if train_encoder:
            encoder.train()
        else:
            encoder.eval()  # frozen for the whole epoch, deliberately
        for x, y in loader:
            loss = compute_loss(encoder, x, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def a_frozen_encoder_stays_frozen_in_eval_mode(encoder, head, loader, val_loader):
    encoder.requires_grad_(False)  # a linear probe: only the head trains
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
    for epoch in range(10):
        head.train()
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(head(encoder(x)), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        encoder.eval()  # eval() leaves its parameters frozen
        head.eval()
        with torch.no_grad():
            for x, _ in val_loader:
                head(encoder(x))


class NetWithItsOwnEvaluation(torch.nn.Module):
    def evaluate(self, loader):
        self.eval()
        with torch.no_grad():
            return sum((self(x).argmax(1) == y).sum().item() for x, y in loader)


def the_model_evaluates_itself(loader, val_loader):
    model = NetWithItsOwnEvaluation()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        print(model.evaluate(val_loader))  # expect: NG004:15


class BaseTrainer:
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer

    def train_epoch(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            torch.nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()

    def validate(self, loader):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in loader]


class TrainerOfABaseClass(BaseTrainer):
    def fit(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.train_epoch(loader)
            self.validate(val_loader)  # expect: NG004:13


def a_subclass_trainer_driven_from_outside(make_model, loader, val_loader):
    trainer = TrainerOfABaseClass(make_model(), None)  # both methods come from its base
    for epoch in range(10):
        trainer.train_epoch(loader)
        trainer.validate(val_loader)  # expect: NG004:9


def train_epoch_with_a_loss_helper(model, loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad()
        loss = compute_loss(model, x, y)  # the helper hands the forward back
        loss.backward()
        optimizer.step()


def the_loss_helper_is_called_by_the_epoch_function(model, loader, val_loader, optimizer):
    for epoch in range(10):
        train_epoch_with_a_loss_helper(model, loader, optimizer)
        evaluate(model, val_loader)  # expect: NG004:9


def a_loss_helper_for_validation_numbers_only(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch_in_train_mode(model, loader, optimizer, criterion)
        evaluate(model, val_loader)
        with torch.no_grad():
            losses = [compute_loss(model, x, y) for x, y in val_loader]  # nothing trained
        print(sum(losses))


class TrainerWhoseTrainTakesNoArguments:
    # Not a module: ``self.train()`` runs its epoch, it is no ``nn.Module.train``.
    def __init__(self, model, optimizer, loader, val_loader):
        self.model, self.optimizer = model, optimizer
        self.loader, self.val_loader = loader, val_loader

    def train(self):
        for x, y in self.loader:
            self.optimizer.zero_grad()
            torch.nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()

    def evaluate(self):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in self.val_loader]

    def fit(self, epochs):
        for epoch in range(epochs):
            self.train()
            self.evaluate()  # expect: NG004:13


class TrainerWhoseTrainSetsTheMode(TrainerWhoseTrainTakesNoArguments):
    def train(self):
        self.model.train()
        super().train()

    def fit(self, epochs):
        for epoch in range(epochs):
            self.train()
            self.evaluate()


class ModuleOfAnUnknownBase(SomeLibraryModule):  # noqa: F821
    # The base may be an ``nn.Module``: ``self.train()`` may then be its mode setter.
    def train(self):
        return super().train()

    def fit(self, loader, optimizer, epochs):
        for epoch in range(epochs):
            self.train()
            for x, y in loader:
                optimizer.zero_grad()
                self(x).sum().backward()
                optimizer.step()
            self.eval()


def ddp_validation_through_the_unwrapped_alias(model, loader, val_loader, criterion, epochs):
    model_without_ddp = model.module  # DETR's and DeiT's name for the wrapped model
    optimizer = torch.optim.AdamW(model_without_ddp.parameters())
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        evaluate(model_without_ddp, val_loader)  # expect: NG004:9


def validation_of_the_module_or_the_model(model, loader, val_loader, criterion, distributed):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        evaluate(model.module if distributed else model, val_loader)  # expect: NG004:9


def validation_of_the_ema_or_the_model(model, ema, loader, val_loader, criterion, use_ema):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        evaluate(ema if use_ema else model, val_loader)  # two models: which is unknown


def ddp_trained_under_its_own_name(rank, loader, val_loader, criterion, epochs):
    # DDP's tutorial shape: the wrapper trains, the module it holds is evaluated.
    model = build_model().to(rank)
    ddp_model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[rank])
    optimizer = torch.optim.SGD(ddp_model.parameters(), lr=0.1)
    ddp_model.train()
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(ddp_model(x), y).backward()
            optimizer.step()
        evaluate(model, val_loader)  # expect: NG004:9


def compiled_model_trained_module_evaluated(model, loader, val_loader, criterion, epochs):
    compiled = torch.compile(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(compiled(x), y).backward()
            optimizer.step()
        model.eval()  # expect: NG004:9
        with torch.no_grad():
            print([model(x) for x, _ in val_loader])


def module_put_back_in_train_mode_wrapper_evaluated(model, loader, val_loader, criterion):
    ddp_model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp_model.parameters(), lr=0.1)
    for epoch in range(10):
        model.train()  # the wrapper's layers are the module's: back in train mode
        for x, y in loader:
            optimizer.zero_grad()
            criterion(ddp_model(x), y).backward()
            optimizer.step()
        evaluate(ddp_model, val_loader)


def a_copy_under_another_name_is_another_module(model, loader, val_loader, criterion):
    scripted = torch.jit.script(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        evaluate(scripted, val_loader)


def the_module_name_rebound_after_wrapping(loader, val_loader, criterion):
    model = build_model()
    compiled = torch.compile(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model = build_model()  # another module: ``compiled`` still holds the first
    compiled.train()
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(compiled(x), y).backward()
            optimizer.step()
        evaluate(model, val_loader)


def optimizer_step(loss, optimizer):
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def backward_and_step_in_a_helper_handed_the_loss(model, loader, val_loader, criterion):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(10):
        for x, y in loader:
            optimizer_step(criterion(model(x), y), optimizer)
        evaluate(model, val_loader)  # expect: NG004:9


def a_step_helper_handed_only_a_number(model, loader, val_loader, threshold):
    # The model's output reaches the helper as a number: no backward reaches the model.
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=0.1)
    for epoch in range(10):
        for x, y in loader:
            score = model(x).mean().item()
            optimizer_step((weight - score) ** 2, optimizer)
        evaluate(model, val_loader)


class TrainerWithAStepMethod:
    def __init__(self, model, optimizer, criterion):
        self.model, self.optimizer, self.criterion = model, optimizer, criterion

    def _step(self, loss):
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()

    def fit(self, loader, val_loader, epochs):
        self.model.train()
        for epoch in range(epochs):
            for x, y in loader:
                self._step(self.criterion(self.model(x), y))
            evaluate(self.model, val_loader)  # expect: NG004:13


def train_epoch_through_the_step_helper(model, loader, optimizer, criterion):
    for x, y in loader:
        loss = criterion(model(x), y)
        optimizer_step(loss, optimizer)


def epochs_of_a_function_that_steps_through_a_helper(model, loader, val_loader, criterion):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(10):
        train_epoch_through_the_step_helper(model, loader, optimizer, criterion)
        evaluate(model, val_loader)  # expect: NG004:9


class Evaluator:
    """Keeps the model it is given: ``Evaluator(model, loader).model`` is ``model``."""

    def __init__(self, model, loader):
        self.model = model
        self.loader = loader

    def run(self):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in self.loader]


class RestoringEvaluator:
    def __init__(self, model, loader):
        self.model = model
        self.loader = loader

    def run(self):
        self.model.eval()
        with torch.no_grad():
            outputs = [self.model(x) for x, _ in self.loader]
        self.model.train()
        return outputs


class SwappingEvaluator:
    def __init__(self, model, loader):
        self.model = model
        self.loader = loader

    def use(self, other):
        self.model = other  # may hold another model by the time it runs

    def run(self):
        self.model.eval()


def an_evaluator_object_built_around_the_model(model, loader, val_loader, criterion):
    evaluator = Evaluator(model, val_loader)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        evaluator.run()  # expect: NG004:9


def an_evaluator_object_that_restores_the_mode(model, loader, val_loader, criterion):
    evaluator = RestoringEvaluator(model, val_loader)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        evaluator.run()


def an_evaluator_whose_model_may_be_swapped(model, loader, val_loader, criterion):
    evaluator = SwappingEvaluator(model, val_loader)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        evaluator.run()


def an_evaluator_of_a_copy(model, loader, val_loader, criterion):
    evaluator = Evaluator(copy.deepcopy(model), val_loader)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        evaluator.run()


def each_model_of_a_list_put_back_in_train_mode(gen, disc, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        for net in [gen, disc]:  # a list written out: the loop runs, each takes its turn
            net.train()
        train_one_epoch(disc, loader, optimizer, criterion)
        evaluate(gen, loader)
        evaluate(disc, loader)


def put_back_in_train_mode_by_a_fixed_count_of_steps(model, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        for step in range(3):  # literal bounds: the loop runs
            model.train()
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, loader)


def put_back_in_train_mode_by_an_empty_range(model, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        for step in range(3, 0):  # never runs
            model.train()
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, loader)  # expect: NG004


def every_submodule_put_back_in_train_mode(model, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        for module in model.modules():  # the model itself comes first
            module.train()
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, loader)


def unwrap(model):
    return model.module if hasattr(model, "module") else model


def train_mode_set_on_what_a_helper_or_container_gives(model, nets, loader, optimizer, epochs):
    for epoch in range(epochs):
        unwrap(model).train()  # may be the model itself: ending its eval period hides nothing
        nets["student"].train()
        train_one_epoch(model, loader, optimizer, torch.nn.functional.cross_entropy)
        evaluate(model, loader)


def last_epoch_counted_from_one(model, loader, optimizer, criterion, epochs):
    for epoch in range(1, epochs + 1):
        train_one_epoch(model, loader, optimizer, criterion)
        if epoch == epochs:  # the last iteration: nothing trains after it
            evaluate(model, loader)


def second_to_last_epoch_counted_from_one(model, loader, optimizer, criterion, epochs):
    for epoch in range(1, epochs + 1):
        train_one_epoch(model, loader, optimizer, criterion)
        if epoch == epochs - 1:
            evaluate(model, loader)  # expect: NG004:13


class BaseTrainer:
    def __init__(self, model, loader, optimizer):
        self.model, self.loader, self.optimizer = model, loader, optimizer

    def on_epoch_start(self):
        pass

    def validate(self):
        self.model.eval()

    def fit(self, epochs):
        for epoch in range(epochs):
            self.on_epoch_start()  # a subclass below puts the model back in train mode
            for x, y in self.loader:
                self.optimizer.zero_grad()
                torch.nn.functional.cross_entropy(self.model(x), y).backward()
                self.optimizer.step()
            self.validate()


class TrainingModeTrainer(BaseTrainer):
    def on_epoch_start(self):
        self.model.train()


def a_container_of_both_parts_put_back_in_train_mode(encoder, decoder, loader, optimizer):
    full = torch.nn.Sequential(encoder, decoder)  # its train() reaches both parts
    for epoch in range(10):
        full.train()
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(decoder(encoder(x)), y).backward()
            optimizer.step()
        encoder.eval()
        decoder.eval()


def put_back_in_train_mode_unbound(model, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        torch.nn.Module.train(model)  # model.train(), called on the class
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, loader)


def left_in_eval_mode_unbound(model, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer, criterion)
        torch.nn.Module.eval(model)  # expect: NG004:9


def left_in_eval_mode_unbound_train_false(model, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer, criterion)
        torch.nn.Module.train(model, False)  # expect: NG004:9


def set_train(module):
    module.train()


def init_weights(module):
    if isinstance(module, torch.nn.Linear):
        torch.nn.init.zeros_(module.bias)


def put_back_in_train_mode_module_by_module(model, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        model.apply(set_train)
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, loader)


def put_back_in_train_mode_by_a_lambda(model, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        model.apply(lambda m: m.train() if isinstance(m, torch.nn.Dropout) else None)
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, loader)


def applied_function_that_may_train(model, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        model.apply(contextlib.nullcontext)  # unread: it may call train()
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, loader)


def applied_function_that_never_trains(model, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        model.apply(init_weights)
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, loader)  # expect: NG004:9


def last_epoch_kept_in_a_flag(model, loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer, criterion)
        is_last = epoch == epochs - 1
        if is_last:  # this iteration's test: nothing trains after it
            evaluate(model, loader)


def flag_read_before_it_is_set(model, loader, optimizer, criterion, epochs):
    is_last = False
    for epoch in range(epochs):
        if is_last:  # the previous iteration's test
            evaluate(model, loader)  # expect: NG004:13
        train_one_epoch(model, loader, optimizer, criterion)
        is_last = epoch == epochs - 2


def last_epoch_read_from_a_config(model, loader, optimizer, criterion, cfg):
    for epoch in range(cfg["epochs"]):
        train_one_epoch(model, loader, optimizer, criterion)
        if epoch == cfg["epochs"] - 1:
            evaluate(model, loader)


def config_changed_in_the_loop(model, loader, optimizer, criterion, cfg):
    for epoch in range(cfg["epochs"]):
        train_one_epoch(model, loader, optimizer, criterion)
        cfg.update(epochs=cfg["epochs"] + 1)
        if epoch == cfg["epochs"] - 1:
            evaluate(model, loader)  # expect: NG004:13


def each_model_of_a_named_list_put_back_in_train_mode(gen, disc, loader, optimizer, criterion):
    nets = [gen, disc]  # read only as what the loop runs over: never empty
    for epoch in range(10):
        for net in nets:
            net.train()
        train_one_epoch(disc, loader, optimizer, criterion)
        evaluate(disc, loader)


def a_named_list_that_may_be_emptied(gen, disc, loader, optimizer, criterion):
    nets = [gen, disc]
    for epoch in range(10):
        for net in nets:
            net.train()
        train_one_epoch(disc, loader, optimizer, criterion)
        evaluate(disc, loader)  # expect: NG004:9
        nets.clear()


@contextlib.contextmanager
def inference(model):
    model.eval()
    with torch.no_grad():
        yield model


@contextlib.contextmanager
def inference_then_back(model):
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def validated_in_a_context_that_keeps_eval_mode(model, loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        with inference(model):  # expect: NG004:14
            [model(x) for x, _ in loader]


def validated_in_a_context_that_restores_the_mode(model, loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        with inference_then_back(model):
            [model(x) for x, _ in loader]


def put_back_in_train_mode_by_a_lambda_calling_a_helper(model, loader, optimizer, criterion):
    for epoch in range(10):
        model.apply(lambda m: set_train(m))
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model, loader)


class TrainerWithTwoNamesForItsModel:
    """``self.net`` and ``self.whole`` are ``self.model`` (a property returning it, an
    attribute bound with it): a ``train()`` through any of them puts that one module back in
    train mode. A hook looked up by name may be any method, one that calls ``train()``."""

    def __init__(self, model, optimizer, log):
        self.model = self.whole = model
        self.optimizer = optimizer
        self.log = log

    @property
    def net(self):
        return self.model

    def train_epoch(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            self.model(x).sum().backward()
            self.optimizer.step()

    def validate(self, loader):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in loader]

    def on_epoch_start(self):
        self.model.train()

    def call_hook(self, name):
        getattr(self, name)()

    def fit_through_the_property(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.net.train()
            self.train_epoch(loader)
            self.validate(val_loader)

    def fit_through_the_second_attribute(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.whole.train()
            self.train_epoch(loader)
            self.validate(val_loader)

    def fit_with_a_hook_looked_up_by_name(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            getattr(self, "on_epoch_start")()
            self.train_epoch(loader)
            self.validate(val_loader)

    def fit_with_a_hook_dispatcher(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.call_hook("on_epoch_start")
            self.train_epoch(loader)
            self.validate(val_loader)

    def fit_logging_by_name(self, loader, val_loader, epochs, level):
        for epoch in range(epochs):
            getattr(self.log, level)("epoch %d", epoch)  # the logger's method, not the model's
            self.train_epoch(loader)
            self.validate(val_loader)  # expect: NG004:13


def each_input_kind_in_its_own_arm(model, tensors, loader, val_loader, optimizer, criterion):
    # ``loader`` decides the arm once for every epoch: the first arm's eval mode never reaches
    # the second arm's step, while the second arm leaves its own step in eval mode.
    for epoch in range(10):
        if loader is None:
            model.train()
            criterion(model(tensors), tensors).backward()
            optimizer.step()
            model.eval()
        else:
            for x, y in loader:
                criterion(model(x), y).backward()
                optimizer.step()
            model.eval()  # expect: NG004:13
            with torch.no_grad():
                [model(x) for x, _ in val_loader]


def the_arm_changes_between_epochs(model, tensors, loader, optimizer, criterion):
    # ``loader`` is rebound inside the loop: the next epoch may take the other arm.
    for epoch in range(10):
        if loader is None:
            model.train()
            criterion(model(tensors), tensors).backward()
            optimizer.step()
            model.eval()  # expect: NG004:13
            loader = tensors.split(8)
        else:
            for x in loader:
                criterion(model(x), x).backward()
                optimizer.step()


def the_arm_test_reads_a_mutated_list(model, pending, optimizer, criterion):
    # ``pending`` empties as the loop pops from it: its truth changes between epochs.
    for epoch in range(10):
        if pending:
            model.train()
            x = pending.pop()
            criterion(model(x), x).backward()
            optimizer.step()
            evaluate(model, [])  # expect: NG004:13
        else:
            x = torch.zeros(1)
            criterion(model(x), x).backward()
            optimizer.step()


class TrainerWhoseHooksNeverTrain:
    """Hooks looked up by name that only log: ``getattr(self, name)()`` may run any of the
    class's methods, and none of them puts the model back in train mode."""

    def __init__(self, model, optimizer, metrics):
        self.model = model
        self.optimizer = optimizer
        self.metrics = metrics

    def on_epoch_start(self):
        print("epoch")

    def validate(self, loader):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in loader]

    def fit(self, loader, val_loader, epochs, hook):
        for epoch in range(epochs):
            getattr(self, hook)()
            for x, y in loader:
                self.optimizer.zero_grad()
                self.model(x).sum().backward()
                self.optimizer.step()
            self.validate(val_loader)  # expect: NG004:13

    def fit_scoring_by_name(self, loader, val_loader, epochs, metric):
        for epoch in range(epochs):
            for x, y in loader:
                self.optimizer.zero_grad()
                self.model(x).sum().backward()
                self.optimizer.step()
            self.validate(val_loader)  # expect: NG004:13
            getattr(self.metrics, metric)(self.model, val_loader)  # another object's method


class TrainerWhoseSecondNameGoesStale:
    """``self.net`` names the first model only until ``reset()`` binds ``self.model``
    again: its ``train()`` may not reach the model trained."""

    def __init__(self, model, optimizer):
        self.model = model
        self.net = self.model
        self.optimizer = optimizer

    def reset(self, model):
        self.model = model

    def validate(self, loader):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in loader]

    def fit(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.net.train()
            for x, y in loader:
                self.optimizer.zero_grad()
                self.model(x).sum().backward()
                self.optimizer.step()
            self.validate(val_loader)  # expect: NG004:13


class TrainerWithAnUnwrappingProperty:
    """A property that unwraps a DDP model when there is one names that model either way;
    a tuple assignment binds two names to one model."""

    def __init__(self, model, optimizer, distributed):
        self.model, self.whole = model, model
        self.optimizer = optimizer
        self.distributed = distributed

    @property
    def unwrapped(self):
        return self.model.module if self.distributed else self.model

    def validate(self, loader):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in loader]

    def step(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            self.model(x).sum().backward()
            self.optimizer.step()

    def fit_through_the_property(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.unwrapped.train()
            self.step(loader)
            self.validate(val_loader)

    def fit_through_the_tuple_twin(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.whole.train()
            self.step(loader)
            self.validate(val_loader)


def the_arm_test_reads_a_list_a_helper_fills(model, buffer, optimizer, criterion):
    # ``collect`` is handed ``buffer`` and fills it: the arm may change between epochs.
    for epoch in range(10):
        if not buffer:
            collect(model, buffer)  # noqa: F821
            evaluate(model, [])  # expect: NG004:13
        else:
            for x in buffer:
                criterion(model(x), x).backward()
                optimizer.step()


def validation_function_nested_in_the_training_function(model, loader, val_loader, optimizer):
    def evaluate_on(batches):
        model.eval()
        with torch.no_grad():
            return sum(model(x).sum().item() for x, _ in batches)

    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        evaluate_on(val_loader)  # expect: NG004:9


def nested_validation_handed_the_model(model, loader, val_loader, optimizer):
    def evaluate_net(net):
        net.eval()
        with torch.no_grad():
            return [net(x) for x, _ in val_loader]

    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        evaluate_net(model)  # expect: NG004:9


def nested_training_step_after_nested_validation(model, loader, val_loader, optimizer):
    def train_epoch():
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()

    def validate():
        model.eval()
        with torch.no_grad():
            return [model(x) for x, _ in val_loader]

    for epoch in range(10):
        train_epoch()
        validate()  # expect: NG004:9


class NestedValidationInAMethod:
    def fit(self, loader, val_loader):
        def validate():
            self.model.eval()
            with torch.no_grad():
                return [self.model(x) for x, _ in val_loader]

        for epoch in range(10):
            for x, y in loader:
                self.optimizer.zero_grad()
                torch.nn.functional.cross_entropy(self.model(x), y).backward()
                self.optimizer.step()
            validate()  # expect: NG004:13


def nested_training_function_sets_train_mode(model, loader, val_loader, optimizer):
    def train_epoch():
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()

    def validate():
        model.eval()
        with torch.no_grad():
            return [model(x) for x, _ in val_loader]

    for epoch in range(10):
        train_epoch()
        validate()


def nested_validation_restores_the_mode(model, loader, val_loader, optimizer):
    def validate():
        model.eval()
        with torch.no_grad():
            outputs = [model(x) for x, _ in val_loader]
        model.train()
        return outputs

    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        validate()


def nested_validation_of_another_model(model, teacher, loader, val_loader, optimizer):
    def validate_teacher():
        teacher.eval()
        with torch.no_grad():
            return [teacher(x) for x, _ in val_loader]

    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        validate_teacher()


def nested_name_rebound(model, loader, val_loader, optimizer, hooks):
    def validate():
        model.eval()
        with torch.no_grad():
            return [model(x) for x, _ in val_loader]

    validate = hooks.wrap(validate)  # may restore the mode: not the function above
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        validate()


def nested_validation_shadowing_the_model(model, loader, val_loader, optimizer, make_model):
    def validate():
        model = make_model()  # its own model, not the one being trained
        model.eval()
        with torch.no_grad():
            return [model(x) for x, _ in val_loader]

    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        validate()


def nested_validation_restores_through_a_sibling(model, loader, val_loader, optimizer):
    def back_to_training():
        model.train()

    def validate():
        model.eval()
        with torch.no_grad():
            outputs = [model(x) for x, _ in val_loader]
        back_to_training()
        return outputs

    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        validate()


def loop_in_a_nested_function_calls_a_sibling(model, loader, val_loader, optimizer):
    def validate():
        model.eval()
        with torch.no_grad():
            return [model(x) for x, _ in val_loader]

    def run(epochs):
        for epoch in range(epochs):
            for x, y in loader:
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
            validate()  # expect: NG004:13

    run(10)


def sibling_called_where_the_model_is_another(model, loader, val_loader, optimizer, make):
    def validate():
        model.eval()
        with torch.no_grad():
            return [model(x) for x, _ in val_loader]

    def run(epochs):
        model = make()  # this function's own model: validate() evaluates the other one
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(epochs):
            for x, y in loader:
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
            validate()

    run(10)


def nested_validation_under_a_decorator_of_its_own(model, loader, val_loader, optimizer, keep):
    @keep  # may save and restore the mode around it
    def validate():
        model.eval()
        with torch.no_grad():
            return [model(x) for x, _ in val_loader]

    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        validate()


def nested_validation_under_no_grad(model, loader, val_loader, optimizer):
    @torch.no_grad()
    def validate():
        model.eval()
        return [model(x) for x, _ in val_loader]

    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        validate()  # expect: NG004:9


class NestedTrainingEpochInAMethod:
    def fit(self, loader, val_loader):
        def train_epoch():
            for x, y in loader:
                self.optimizer.zero_grad()
                torch.nn.functional.cross_entropy(self.model(x), y).backward()
                self.optimizer.step()

        def validate():
            self.model.eval()
            with torch.no_grad():
                return [self.model(x) for x, _ in val_loader]

        for epoch in range(10):
            train_epoch()
            validate()  # expect: NG004:13


def evaluate_until_good_enough(model, loader, limit):
    was_training = model.training
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += model(x).sum().item()
            if total > limit:
                return total  # leaves before the restore below: still in eval mode
    model.train(was_training)
    return total


def evaluate_on_the_main_process(model, loader, rank):
    model.eval()
    with torch.no_grad():
        outputs = [model(x) for x, _ in loader]
    if rank != 0:
        return outputs
    print(len(outputs))
    model.train()
    return outputs


def evaluate_then_restore_in_finally(model, loader):
    model.eval()
    try:
        with torch.no_grad():
            for x, _ in loader:
                if model(x).sum() > 0:
                    return True
    finally:
        model.train()
    return False


def run_or_validate(model, loader, validating):
    if validating:
        model.eval()
        with torch.no_grad():
            return [model(x) for x, _ in loader]
    model.train()
    return None


def evaluate_unless_not_the_main_process(model, loader, rank):
    model.eval()
    if rank != 0:
        return None  # before any forward call: a mode toggle may read so, left alone
    with torch.no_grad():
        outputs = [model(x) for x, _ in loader]
    model.train()
    return outputs


def validation_returns_before_its_restore(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_until_good_enough(model, val_loader, 10.0)  # expect: NG004:9


def validation_returns_early_off_the_main_process(model, loader, val_loader, optimizer, rank):
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        evaluate_on_the_main_process(model, val_loader, rank)  # expect: NG004:9


def validation_restores_in_a_finally_after_its_return(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_then_restore_in_finally(model, val_loader)


def a_toggle_returns_in_its_eval_branch(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        run_or_validate(model, val_loader, True)
        run_or_validate(model, loader, False)
        train_one_epoch(model, loader, optimizer, criterion)


def validation_returns_early_before_running_the_model(model, loader, val_loader, optimizer, criterion, rank):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_unless_not_the_main_process(model, val_loader, rank)


def evaluate_a_copy_of_what_it_is_given(model, loader):
    model = copy.deepcopy(model)  # the name now holds another module
    model.eval()
    with torch.no_grad():
        return [model(x) for x, _ in loader]


def evaluate_then_copy_for_export(model, loader):
    model.eval()
    with torch.no_grad():
        outputs = [model(x) for x, _ in loader]
    model = copy.deepcopy(model)
    model.train()  # the copy's mode: the caller's model stays in eval mode
    return outputs, model


def validation_of_a_copy_the_helper_makes(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_a_copy_of_what_it_is_given(model, val_loader)


def validation_that_copies_after_its_eval(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_then_copy_for_export(model, val_loader)  # expect: NG004:9


class ValidatingTrainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def train_epoch(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            torch.nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()

    def validate(self, loader):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in loader]


class LoggingTrainer(ValidatingTrainer):
    def validate(self, loader):
        outputs = super().validate(loader)  # the base class's: eval mode, never restored
        print(len(outputs))
        return outputs

    def fit(self, loader, val_loader):
        for epoch in range(10):
            self.train_epoch(loader)
            self.validate(val_loader)  # expect: NG004:13


class OldStyleLoggingTrainer(ValidatingTrainer):
    def validate(self, loader):
        return super(OldStyleLoggingTrainer, self).validate(loader)

    def fit(self, loader, val_loader):
        for epoch in range(10):
            self.train_epoch(loader)
            self.validate(val_loader)  # expect: NG004:13


class RestoringTrainer(ValidatingTrainer):
    def validate(self, loader):
        outputs = super().validate(loader)
        self.model.train()
        return outputs

    def fit(self, loader, val_loader):
        for epoch in range(10):
            self.train_epoch(loader)
            self.validate(val_loader)


def unwrap_model(model):
    return model.module if hasattr(model, "module") else model


def validation_of_the_unwrapped_model(model, loader, val_loader, optimizer, criterion):
    model = torch.nn.DataParallel(model)
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(unwrap_model(model), val_loader)  # expect: NG004:9


def validation_of_the_model_moved(model, loader, val_loader, optimizer, criterion, device):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(model.to(device), val_loader)  # expect: NG004:9


def validation_of_a_copy_handed_in(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(copy.deepcopy(model), val_loader)


class TemplateTrainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def validate(self, loader):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in loader]

    def fit(self, loader, val_loader):
        for epoch in range(10):
            self.train_epoch(loader)  # defined by the subclasses only
            self.validate(val_loader)  # expect: NG004:13

    def fit_in_train_mode(self, loader, val_loader):
        for epoch in range(10):
            self.model.train()
            self.train_epoch(loader)
            self.validate(val_loader)


class ClassifierTemplateTrainer(TemplateTrainer):
    def train_epoch(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            torch.nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()


class AbstractEpochTrainer:
    def __init__(self, model):
        self.model = model

    def train_epoch(self, loader):
        raise NotImplementedError

    def validate(self, loader):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x, _ in loader]

    def fit(self, loader, val_loader):
        for epoch in range(10):
            self.train_epoch(loader)
            self.validate(val_loader)  # the override puts the model back: silent


class TrainModeEpochTrainer(AbstractEpochTrainer):
    def train_epoch(self, loader):
        self.model.train()
        for x, y in loader:
            self.model(x).sum().backward()


# -- forms found by running small training scripts: each silent one trains in train mode


def evaluate_on_rank_zero(model, loader, rank):
    if rank == 0:
        model.eval()
        with torch.no_grad():
            outputs = [model(x) for x, _ in loader]
    else:
        return None  # the other arm: this path never put the model in eval mode
    model.train()
    return outputs


def run_or_validate_under_no_grad(model, loader, validating):
    if validating:
        model.eval()
        with torch.no_grad():
            return [model(x) for x, _ in loader]  # the branch always returns: a toggle
    model.train()
    return None


def evaluate_a_moved_copy(model, loader, device):
    model = copy.deepcopy(model).to(device)
    model.eval()
    with torch.no_grad():
        return [model(x) for x, _ in loader]


def evaluate_an_annotated_copy(model, loader):
    model: torch.nn.Module = copy.deepcopy(model)
    model.eval()
    with torch.no_grad():
        return [model(x) for x, _ in loader]


def evaluate_maybe_on_a_copy(model, loader, recalibrate=False):
    if recalibrate:
        model = copy.deepcopy(model)
    model.eval()  # the caller's model unless ``recalibrate``
    with torch.no_grad():
        return [model(x) for x, _ in loader]


def helpers_that_restore_or_copy(model, loader, val_loader, optimizer, criterion, rank, device):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_on_rank_zero(model, val_loader, rank)
        run_or_validate_under_no_grad(model, val_loader, True)
        run_or_validate_under_no_grad(model, loader, False)
        evaluate_a_moved_copy(model, val_loader, device)
        evaluate_an_annotated_copy(model, val_loader)


def validation_maybe_on_a_copy(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_maybe_on_a_copy(model, val_loader)  # expect: NG004:9


class EvalTrainer:
    def __init__(self, model, head, optimizer):
        self.model = model
        self.head = head
        self.optimizer = optimizer

    def validate(self, loader):
        self.model.eval()
        with torch.no_grad():
            outputs = [self.model(x) for x, _ in loader]
        self.on_validation_end()
        return outputs

    def on_validation_end(self):
        pass

    def fit(self, loader, val_loader):
        for epoch in range(10):
            self.train_epoch(loader)
            self.validate(val_loader)


class RestoringHookTrainer(EvalTrainer):
    def on_validation_end(self):
        self.model.train()  # every validation ends back in train mode

    def train_epoch(self, loader):
        for x, y in loader:
            torch.nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()


class ValidateOnlyTrainer(EvalTrainer):
    def validate(self, loader):
        outputs = super().validate(loader)
        self.model.train()
        return outputs


class LinearProbeTrainer(ValidateOnlyTrainer):
    def train_epoch(self, loader):
        for x, y in loader:
            with torch.no_grad():
                features = self.model(x)  # no graph: the backbone is not trained
            torch.nn.functional.cross_entropy(self.head(features), y).backward()
            self.optimizer.step()


class OwnFitTrainer(EvalTrainer):
    def train_epoch(self, loader):
        for x, y in loader:
            torch.nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()

    def fit(self, loader, val_loader):  # never runs EvalTrainer.fit
        for epoch in range(10):
            self.model.train()
            self.train_epoch(loader)
            self.validate(val_loader)


class LoggingMixin:
    def validate(self, loader):
        return super().validate(loader)


class RestoringMixin(EvalTrainer):
    def validate(self, loader):
        outputs = super().validate(loader)
        self.model.train()
        return outputs


class MixedTrainer(LoggingMixin, RestoringMixin):
    def train_epoch(self, loader):
        for x, y in loader:
            torch.nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()

    def fit(self, loader, val_loader):
        for epoch in range(10):
            self.train_epoch(loader)
            self.validate(val_loader)  # LoggingMixin's super() runs RestoringMixin's


def validation_of_the_model_unwrapped_by_getattr(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(getattr(model, "module", model), val_loader)  # expect: NG004:9


def validation_through_a_name_unwrapped_by_getattr(model, loader, val_loader, optimizer, criterion):
    bare = getattr(model, "module", model)
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        bare.eval()  # expect: NG004:9
        print(bare.training)


def de_parallel(model):
    # named like yolov5's unwrapper, but this module's own hands back a copy
    return copy.deepcopy(model.module if hasattr(model, "module") else model)


def validation_of_a_copy_named_like_an_unwrapper(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate(de_parallel(model), val_loader)


def evaluate_a_copy_made_under_no_grad(model, loader):
    with torch.no_grad():
        model = copy.deepcopy(model)  # a ``with`` body always runs: the name is a copy
    model.eval()
    with torch.no_grad():
        return [model(x) for x, _ in loader]


def validation_of_a_copy_made_under_no_grad(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_a_copy_made_under_no_grad(model, val_loader)


class DelegatingFitTrainer(EvalTrainer):
    def fit(self, loader, val_loader):
        print("fitting")
        super().fit(loader, val_loader)  # runs EvalTrainer.fit, whose loop reads validate()


class RestoringThroughDelegation(DelegatingFitTrainer):
    def validate(self, loader):
        outputs = super().validate(loader)
        self.model.train()
        return outputs

    def train_epoch(self, loader):
        for x, y in loader:
            torch.nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()


class StaticHooks:
    @staticmethod
    def fit(model, hooks, loader, val_loader, optimizer):
        for epoch in range(10):
            for x, y in loader:
                torch.nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
            model.eval()  # expect: NG004:13
            hooks[0].check(model)  # no ``self`` here: not a method of this class

    def check(self, model):
        pass


class StaticHooksThatTrain(StaticHooks):
    def check(self, model):
        model.train()


def frozen_copy(model):
    clone = copy.deepcopy(model)
    for parameter in clone.parameters():
        parameter.requires_grad_(False)
    return clone


def evaluate_a_frozen_copy(model, loader):
    model = frozen_copy(model)  # the module's own helper hands back a copy
    model.eval()
    with torch.no_grad():
        return [model(x) for x, _ in loader]


def validation_of_a_copy_a_helper_makes(model, loader, val_loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_a_frozen_copy(model, val_loader)


class PartsTrainer:
    def __init__(self, model, head, optimizer):
        self.model, self.head, self.optimizer = model, head, optimizer
        self.trainable = [self.model, self.head]

    def begin_epoch(self):
        for part in self.trainable:  # filled in ``__init__``: any model may be in it
            part.train()

    def fit(self, loader, val_loader):
        for epoch in range(10):
            self.begin_epoch()
            for x, y in loader:
                torch.nn.functional.cross_entropy(self.head(self.model(x)), y).backward()
                self.optimizer.step()
            evaluate(self.model, val_loader)


def put_back_the_listed_ones(gen, disc):
    for net in [gen]:  # only ``gen``, written out
        net.train()


def helper_trains_a_written_list_without_the_model(gen, disc, loader, optimizer, criterion):
    for epoch in range(10):
        put_back_the_listed_ones(gen, disc)
        train_one_epoch(disc, loader, optimizer, criterion)
        evaluate(disc, loader)  # expect: NG004:9


def run_epoch_by_flag(model, loader, optimizer, train=True):
    if not train:
        model.eval()
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        if train:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def a_flag_argument_that_never_restores(model, loader, val_loader, optimizer):
    for epoch in range(10):
        run_epoch_by_flag(model, loader, optimizer)  # the default: ``train=True``
        run_epoch_by_flag(model, val_loader, optimizer, train=False)  # expect: NG004:9


def run_phase(model, loader, optimizer, phase):
    if phase == "train":
        model.train()
    else:
        model.eval()
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(model(x), y)  # expect: NG001:50
        if phase == "train":
            loss.backward()
            optimizer.step()


def a_phase_argument_that_sets_the_mode_each_time(model, loader, val_loader, optimizer):
    for epoch in range(10):
        run_phase(model, loader, optimizer, "train")
        run_phase(model, val_loader, optimizer, "val")


def evaluate_and_restore_if(model, loader, restore=True):
    model.eval()
    with torch.no_grad():
        outputs = [model(x) for x, _ in loader]
    if restore:
        model.train()
    return outputs


def restoring_turned_off_by_a_literal(model, loader, optimizer, criterion):
    model.train()
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_and_restore_if(model, loader, restore=False)  # expect: NG004:9


def restoring_by_default(model, loader, optimizer, criterion):
    model.train()
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_and_restore_if(model, loader)


def restoring_by_a_flag_that_is_no_literal(model, loader, optimizer, criterion, restore):
    model.train()
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_and_restore_if(model, loader, restore)  # either arm may run


def evaluate_unless_rebound(model, loader, restore=True):
    model.eval()
    restore = restore or len(loader) > 10  # bound again: the literal decides nothing
    if restore:
        model.train()


def a_flag_bound_again_in_the_helper(model, loader, optimizer, criterion):
    model.train()
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_unless_rebound(model, loader, restore=False)


class PhaseTrainer:
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer

    def run(self, loader, training: bool):
        if training:
            self.model.train()
        elif not training:
            self.model.eval()
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(self.model(x), y)  # expect: NG001:54
            if training:
                loss.backward()
                self.optimizer.step()

    def validate_only(self, loader, training=False):
        if not training:
            self.model.eval()
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(self.model(x), y)
            if training:
                loss.backward()
                self.optimizer.step()

    def fit(self, loader, val_loader):
        for epoch in range(10):
            self.run(loader, True)
            self.run(val_loader, training=False)

    def fit_without_restoring(self, loader, val_loader):
        for epoch in range(10):
            self.validate_only(loader, training=True)
            self.validate_only(val_loader)  # expect: NG004:13


class PartsTrainedInTheLoop:
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer
        self.trainable = [self.model]

    def fit(self, loader, val_loader):
        for epoch in range(10):
            for x, y in loader:
                torch.nn.functional.cross_entropy(self.model(x), y).backward()
                self.optimizer.step()
            self.model.eval()
            for part in self.trainable:  # a trainer's list of parts: read as not empty
                part.train()


class PartsTrainedByTheValidation:
    def __init__(self, gen, disc, optimizer):
        self.gen, self.disc, self.optimizer = gen, disc, optimizer
        self.trainable = [self.gen, self.disc]

    def train_mode(self):
        for part in self.trainable:
            part.train()

    def validate(self):
        self.gen.eval()
        self.disc.eval()
        with torch.no_grad():
            score = self.disc(self.gen(torch.randn(8, 4))).mean()
        self.train_mode()  # ``self`` back in train mode: ``self.gen`` and ``self.disc`` too
        return score

    def fit(self, loader):
        for epoch in range(10):
            for real, y in loader:
                fake = self.gen(torch.randn(8, 4))
                (self.disc(real).mean() + self.disc(fake).mean()).backward()
                self.optimizer.step()
            self.validate()


def validate_if_enabled(model, loader, enabled=True):
    if not enabled:
        return None  # taken for ``enabled=False``: nothing below runs
    model.eval()
    with torch.no_grad():
        return [model(x) for x, _ in loader]


def validation_switched_off_by_a_literal(model, loader, optimizer, criterion):
    model.train()
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        validate_if_enabled(model, loader, enabled=False)


def validation_switched_on_by_default(model, loader, optimizer, criterion):
    model.train()
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        validate_if_enabled(model, loader)  # expect: NG004:9


def evaluate_and_restore_if_true(model, loader, restore):
    model.eval()
    with torch.no_grad():
        outputs = [model(x) for x, _ in loader]
    if restore is True:
        model.train()
    return outputs


def restored_by_true(model, loader, optimizer, criterion):
    model.train()
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_and_restore_if_true(model, loader, True)


def not_restored_by_one(model, loader, optimizer, criterion):
    model.train()
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_and_restore_if_true(model, loader, 1)  # expect: NG004:9


def evaluate_then(model, loader, then="train"):
    model.eval()
    with torch.no_grad():
        outputs = [model(x) for x, _ in loader]
    if then in "train+val":  # a substring: true for "train"
        model.train()
    return outputs


def restored_by_a_substring_test(model, loader, optimizer, criterion):
    model.train()
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        evaluate_then(model, loader)


def accuracy_of(model, loader):
    model.eval()
    with torch.no_grad():
        return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)


def save_if_good(model, loader, force=False):
    if accuracy_of(model, loader) > 0.9 or force:  # ``accuracy_of`` runs whatever ``force``
        torch.save(model.state_dict(), "best.pt")


def a_call_in_a_decided_test(model, loader, optimizer, criterion):
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer, criterion)
        save_if_good(model, loader, force=True)  # expect: NG004:9


class LiteralsThroughAnOverride:
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer

    def run_epoch(self, loader, train):
        raise NotImplementedError

    def evaluate_every_epoch(self, loader):
        for epoch in range(10):
            self.run_epoch(loader, train=False)  # no backward for ``train=False``
            self.model.eval()


class StepsOnlyWhenTraining(LiteralsThroughAnOverride):
    def run_epoch(self, loader, train):
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(self.model(x), y)
            if train:
                loss.backward()
                self.optimizer.step()


class RestoresAfterTestOnly:
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer

    def on_phase_end(self, phase):
        pass

    def fit(self, loader, val_loader):
        for epoch in range(10):
            for x, y in loader:
                torch.nn.functional.cross_entropy(self.model(x), y).backward()
                self.optimizer.step()
            self.model.eval()  # expect: NG004:13
            with torch.no_grad():
                print([self.model(x) for x, _ in val_loader])
            self.on_phase_end("val")  # the override restores only after "test"


class RestoringOnTest(RestoresAfterTestOnly):
    def on_phase_end(self, phase):
        if phase == "test":
            self.model.train()


def a_nested_helper_by_flag(model, loader, val_loader, optimizer):
    def run_epoch(loader, train=True):
        if not train:
            model.eval()
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            if train:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

    for epoch in range(10):
        run_epoch(loader)
        run_epoch(val_loader, train=False)  # expect: NG004:9

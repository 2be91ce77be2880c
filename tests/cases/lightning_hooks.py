"""Lightning runs validation, test and predict hooks without autograd."""
import lightning as L
import pytorch_lightning as pl
from lightning.pytorch import LightningModule
from lightning.pytorch.callbacks import Callback


class Module(L.LightningModule):
    def validation_step(self, batch, batch_idx):
        self.model.eval()
        return self.model(batch)

    def test_step(self, batch, batch_idx):
        self.eval()
        return self(batch)

    def predict_step(self, batch, batch_idx):
        self.backbone.eval()
        return self.backbone(batch)

    def on_validation_batch_end(self, outputs, batch, batch_idx):
        self.ema.eval()
        self.ema(batch)

    def training_step(self, batch, batch_idx):
        self.teacher.eval()
        targets = self.teacher(batch)  # expect: NG001:19
        return self.student(batch) - targets


class Legacy(pl.LightningModule):
    def validation_step(self, batch, batch_idx):
        self.model.eval()
        return self.model(batch)


class Direct(LightningModule):
    def test_step(self, batch, batch_idx):
        self.model.eval()
        return self.model(batch)


class Derived(Module):
    def validation_step(self, batch, batch_idx):
        self.model.eval()
        return self.model(batch)


class Visualise(Callback):
    def on_train_epoch_start(self, trainer, pl_module):
        pl_module.eval()
        pl_module(self.sample)  # expect: NG001

    def on_validation_epoch_end(self, trainer, pl_module):
        pl_module.eval()
        pl_module(self.sample)


class NotLightning:
    def validation_step(self, batch, batch_idx):
        self.model.eval()
        return self.model(batch)  # expect: NG001
